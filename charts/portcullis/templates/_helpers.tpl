{{/* Name of the release's objects, at most 63 characters. */}}
{{- define "portcullis.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "portcullis.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "portcullis.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "portcullis.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "portcullis.sidecarImage" -}}
{{- default (include "portcullis.image" .) .Values.sidecar.image -}}
{{- end -}}

{{- define "portcullis.tlsSecret" -}}
{{- printf "%s-tls" (include "portcullis.fullname" .) -}}
{{- end -}}

{{/* Namespaces never injected: the control plane's and Portcullis's own. */}}
{{- define "portcullis.namespaceSelector" -}}
{{- $sel := deepCopy .Values.webhook.namespaceSelector -}}
{{- $exprs := default (list) $sel.matchExpressions -}}
{{- $exprs = append $exprs (dict "key" "kubernetes.io/metadata.name" "operator" "NotIn" "values" (list "kube-system" .Release.Namespace)) -}}
{{- $_ := set $sel "matchExpressions" $exprs -}}
{{- toYaml $sel -}}
{{- end -}}

{{/* The pods the injection webhook sees: the inject label always, ANDed with webhook.objectSelector. */}}
{{- define "portcullis.objectSelector" -}}
{{- $sel := deepCopy .Values.webhook.objectSelector -}}
{{- $labels := default (dict) $sel.matchLabels -}}
{{- if hasKey $labels "portcullis.dev/inject" -}}
{{- fail "webhook.objectSelector.matchLabels cannot set portcullis.dev/inject: the webhook always selects portcullis.dev/inject: \"true\"" -}}
{{- end -}}
{{- $_ := set $labels "portcullis.dev/inject" "true" -}}
{{- $_ := set $sel "matchLabels" $labels -}}
{{- toYaml $sel -}}
{{- end -}}

{{/* clientConfig of one webhook: name, namespace, port, path and caBundle from the dict. */}}
{{- define "portcullis.webhookClientConfig" }}
clientConfig:
  service:
    name: {{ .name }}
    namespace: {{ .namespace }}
    path: {{ .path }}
    port: {{ .port }}
  {{- with .caBundle }}
  caBundle: {{ . }}
  {{- end }}
{{- end }}
