#!/usr/bin/env bash
# The kind path of the end-to-end suite, for machines with Docker: a kind cluster, the image
# built and loaded, the chart installed, PostgreSQL and a labelled workload deployed, then the
# same suite as on the local control plane with E2E_CLUSTER=existing.
#
#   K8S_VERSION=v1.34.0 NATIVE_SIDECAR=true e2e/kind/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

cluster=${KIND_CLUSTER:-portcullis-e2e}
k8s_version=${K8S_VERSION:-v1.34.0}
native_sidecar=${NATIVE_SIDECAR:-true}
image=${IMAGE:-portcullis:e2e}
namespace=portcullis-system
kubeconfig=$(mktemp)

cleanup() {
  if [[ "${KEEP_CLUSTER:-}" != "true" ]]; then
    kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
  fi
  rm -f "$kubeconfig"
}
trap cleanup EXIT

for tool in docker kind helm kubectl; do
  command -v "$tool" >/dev/null || { echo "kind-e2e needs $tool on PATH" >&2; exit 1; }
done

kind create cluster --name "$cluster" --image "kindest/node:$k8s_version" \
  --kubeconfig "$kubeconfig" --wait 120s
export KUBECONFIG=$kubeconfig

docker build -t "$image" .
kind load docker-image "$image" --name "$cluster"

helm install portcullis charts/portcullis --namespace "$namespace" --create-namespace \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" \
  --set image.pullPolicy=Never --set sidecar.nativeSidecar="$native_sidecar" \
  --wait --timeout 180s

kubectl apply -f e2e/kind/postgres.yaml
kubectl -n portcullis-e2e rollout status deployment/postgres --timeout=180s

# Only the suite that takes an existing cluster (tests/control-plane.test.ts); the other e2e
# files start local control planes. kubectl and helm come from PATH, so nothing is built with
# Go here. The suite reads only the two E2E_ variables (tests/kind-path.test.ts keeps it so);
# where the database is, it takes from e2e/src/kind-database.ts, which mirrors postgres.yaml.
make build
KUBECTL=$(command -v kubectl) HELM=$(command -v helm) \
  E2E_CLUSTER=existing E2E_NATIVE_SIDECAR=$native_sidecar \
  npm run --silent test:e2e -- --testPathPatterns 'e2e/tests/control-plane\.test\.ts'
