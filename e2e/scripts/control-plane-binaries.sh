#!/usr/bin/env bash
#
# control-plane-binaries.sh: make real Kubernetes control-plane binaries
# (kube-apiserver, etcd, kubectl; helm on request) available to the e2e tests
# on a machine without Docker.
#
# Why build from source: our machines (developers' and CI's) reach only the Go
# module proxy, Debian's apt repos and the npm registry. Release tarballs and
# container images are out of reach, but every one of these programs is a Go
# module that the proxy serves, so we build them with the local Go toolchain.
# The first run takes minutes; later runs find the binaries in the cache and
# print their paths at once.
#
# Output contract: one NAME=/absolute/path line per requested binary on
# stdout and nothing else; progress and the Go toolchain's output go to
# stderr. Run with -h for usage.

set -euo pipefail

# Pinned versions. Kubernetes and etcd must be bumped together: every
# Kubernetes release is tested against one etcd minor (k8s.io/kubernetes
# v1.37.2's build/dependencies.yaml names etcd 3.7.0). Both need go >= 1.26.
# The names avoid ETCD_*: etcd reads any ETCD_<FLAG> variable as a flag.
KUBERNETES_VERSION="${PORTCULLIS_KUBERNETES_VERSION:-v1.37.2}"
ETCD_VERSION="${PORTCULLIS_ETCD_VERSION:-v3.7.3}"
HELM_VERSION="${PORTCULLIS_HELM_VERSION:-v3.22.0}"

CACHE_DIR=$(realpath -m -- "${PORTCULLIS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portcullis}")
BIN_DIR="$CACHE_DIR/bin" # finished binaries, named NAME-VERSION
SRC_DIR="$CACHE_DIR/src" # throwaway Go modules that drive the builds

declare -A RESOLVED=() # target -> absolute path of its binary
TMP_FILES=()           # half-built binaries, removed on exit
TARGETS=()             # what to print, in order, without duplicates

usage() {
	cat <<EOF
Usage: $(basename "$0") [TARGET...]

Builds (once per machine, then cached) and prints the paths of Kubernetes
binaries for the e2e tests, as NAME=/absolute/path lines on stdout.

Targets:
  control-plane   kube-apiserver, etcd and kubectl (the default)
  kube-apiserver  k8s.io/kubernetes ${KUBERNETES_VERSION}
  etcd            go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
  kubectl         k8s.io/kubernetes ${KUBERNETES_VERSION}
  helm            helm.sh/helm/v3 ${HELM_VERSION}
  all             all of the above

Environment:
  KUBE_APISERVER, ETCD, KUBECTL, HELM
        use this executable instead of building one (a name on PATH or a path)
  PORTCULLIS_CACHE
        cache directory (now: ${CACHE_DIR})
  PORTCULLIS_KUBERNETES_VERSION, PORTCULLIS_ETCD_VERSION, PORTCULLIS_HELM_VERSION
        build another version than the pinned one
  GO    the go command to build with (default: go on PATH, else /usr/local/go/bin/go)

kubectl is built from the same Kubernetes release as kube-apiserver rather
than taken from PATH, so that the tests see one kubectl version everywhere,
within the supported skew, also on machines that have no kubectl at all.
Set KUBECTL=\$(command -v kubectl) to use the one on PATH instead.
EOF
}

log() { printf 'control-plane-binaries: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

cleanup() { rm -rf -- "${TMP_FILES[@]}"; }
trap cleanup EXIT

# kube-apiserver -> KUBE_APISERVER: the variable that overrides a target and
# the name printed for it.
env_name() {
	local name=${1//-/_}
	printf '%s' "${name^^}"
}

version_of() {
	case $1 in
	kube-apiserver | kubectl) printf '%s' "$KUBERNETES_VERSION" ;;
	etcd) printf '%s' "$ETCD_VERSION" ;;
	helm) printf '%s' "$HELM_VERSION" ;;
	esac
}

cached_path() { printf '%s/%s-%s' "$BIN_DIR" "$1" "$(version_of "$1")"; }

# Records the executable named by the target's environment variable, if set.
# A variable that is set but names nothing runnable is an error, not a reason
# to build: whoever set it expected that binary to be used.
use_env_override() {
	local target=$1 var value path
	var=$(env_name "$target")
	value=${!var:-}
	[[ -n $value ]] || return 1
	path=$(command -v -- "$value") || die "$var=$value is not an executable"
	[[ -f $path && -x $path ]] || die "$var=$value is not an executable file"
	RESOLVED[$target]=$(realpath -s -- "$path")
	log "$target: using $var=${RESOLVED[$target]}"
}

find_go() {
	GO=${GO:-$(command -v go || printf '/usr/local/go/bin/go')}
	[[ -x $GO ]] || die "no Go toolchain found (looked on PATH and at /usr/local/go/bin/go); set GO=/path/to/go"
	log "using $("$GO" version)"
}

# Runs the go command in a directory. Its stdout goes to stderr, so that
# nothing but the NAME=path lines ever reaches our stdout. CGO is off because
# the upstream release binaries are static too and we need no C toolchain;
# GOWORK is off so that a go.work above the cache cannot change what we build.
go_in() {
	local dir=$1
	shift
	(cd "$dir" && CGO_ENABLED=0 GOWORK=off "$GO" "$@") >&2
}

# Prints one field (Time, GoMod, GoVersion, ...) of a module version's
# metadata from the proxy (or the module cache, once it is there).
module_field() {
	local module=$1 field=$2
	(cd "$SRC_DIR" && "$GO" list -m -json "$module") |
		sed -n "s/^[[:space:]]*\"$field\": \"\(.*\)\",\{0,1\}\$/\1/p"
}

# Serialises builds between concurrent callers. The lock is held until the
# script exits; whoever waited finds the binary built and skips the build.
# Holding it, we also sweep temporary files that a killed run left behind.
take_build_lock() {
	exec {lock_fd}>"$CACHE_DIR/build.lock"
	if ! flock -n "$lock_fd"; then
		log "another run is building; waiting for $CACHE_DIR/build.lock"
		flock "$lock_fd"
	fi
	rm -rf -- "$BIN_DIR"/*.tmp.*
}

# Writes a throwaway module that depends on MODULE@VERSION. We cannot simply
# `go install MODULE/cmd@VERSION`: kubernetes and etcd replace their sibling
# modules with relative paths in their own go.mod, which `go install @version`
# refuses. In our module those replaces do not apply, and we point the same
# modules at their published versions instead (REPLACES, one "path => path
# version" a line). The go line and any godebug lines are copied, because the
# main module's go.mod decides the binary's GODEBUG defaults.
write_tools_module() {
	local dir=$1 module=$2 version=$3 replaces=$4 upstream_gomod
	upstream_gomod=$(module_field "$module@$version" GoMod)
	[[ -f $upstream_gomod ]] || die "could not fetch the go.mod of $module@$version from the Go module proxy"
	mkdir -p "$dir"
	{
		printf 'module portcullis.invalid/build-tools\n\n'
		grep -E '^(go|godebug) ' "$upstream_gomod"
		printf '\nrequire %s %s\n' "$module" "$version"
		if [[ -n $replaces ]]; then
			printf '\nreplace (\n'
			printf '%s\n' "$replaces" | sed 's/^/\t/'
			printf ')\n'
		fi
	} >"$dir/go.mod"
}

# k8s.io/kubernetes publishes each staging module (k8s.io/api, client-go,
# apiserver, ...) as its own module, versioned v0.X.Y for Kubernetes v1.X.Y.
# The list is read from kubernetes' own replace block so that modules added
# in later releases are picked up without editing this script.
kubernetes_staging_replaces() {
	local gomod staging_version="v0.${KUBERNETES_VERSION#v1.}"
	gomod=$(module_field "k8s.io/kubernetes@$KUBERNETES_VERSION" GoMod)
	sed -n "s|^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*|\1 => \1 $staging_version|p" "$gomod"
}

# What `kube-apiserver --version` and `kubectl version` report. Upstream's
# build injects these from git; without them the binaries call themselves
# v0.0.0-master, and kubectl warns about version skew. The build date is the
# release's publication time, so rebuilds are reproducible.
kubernetes_version_ldflags() {
	local minor date pkg flags=""
	minor=${KUBERNETES_VERSION#v1.}
	minor=${minor%%.*}
	date=$(module_field "k8s.io/kubernetes@$KUBERNETES_VERSION" Time)
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		flags+=" -X $pkg.gitCommit= -X $pkg.gitTreeState=archive -X $pkg.buildDate=$date"
	done
	printf '%s' "$flags"
}

build_kubernetes_command() {
	local command=$1 out=$2 dir="$SRC_DIR/kubernetes-$KUBERNETES_VERSION"
	write_tools_module "$dir" k8s.io/kubernetes "$KUBERNETES_VERSION" "$(kubernetes_staging_replaces)"
	go_in "$dir" build -mod=mod -trimpath -ldflags "-s -w$(kubernetes_version_ldflags)" \
		-o "$out" "k8s.io/kubernetes/cmd/$command" ||
		die "building $command $KUBERNETES_VERSION failed (Go output above)"
}

# etcd's server module also replaces its siblings (api, client, pkg) with
# relative paths, all at the same version, so requiring it from our own
# module is enough: the published siblings are selected as they are.
build_etcd() {
	local out=$1 dir="$SRC_DIR/etcd-$ETCD_VERSION"
	write_tools_module "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" ""
	go_in "$dir" build -mod=mod -trimpath -ldflags "-s -w" -o "$out" go.etcd.io/etcd/server/v3 ||
		die "building etcd $ETCD_VERSION failed (Go output above)"
}

# helm has no replace directives, so plain `go install @version` works. Its
# Makefile injects the version and the Kubernetes version that `helm lint`
# and `.Capabilities` assume (taken from the k8s.io/client-go it uses).
build_helm() {
	local out=$1 gomod client_go major minor pkg gobin
	gomod=$(module_field "helm.sh/helm/v3@$HELM_VERSION" GoMod)
	client_go=$(sed -n 's|^[[:space:]]*k8s\.io/client-go v0\.\([0-9]*\)\..*|\1|p' "$gomod")
	[[ -n $client_go ]] || die "cannot find k8s.io/client-go in helm $HELM_VERSION's go.mod"
	major=1 minor=$client_go
	local flags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
	for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
		flags+=" -X $pkg.k8sVersionMajor=$major -X $pkg.k8sVersionMinor=$minor"
	done
	# go install has no -o; install into a private directory next to the cache.
	gobin="$out.d"
	TMP_FILES+=("$gobin")
	mkdir -p "$gobin"
	GOBIN=$gobin go_in "$SRC_DIR" install -trimpath -ldflags "$flags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ||
		die "building helm $HELM_VERSION failed (Go output above)"
	mv -f -- "$gobin/helm" "$out"
	rmdir -- "$gobin"
}

# A binary that links but cannot even print its version must not be cached.
check_runs() {
	local target=$1 binary=$2
	local -a args=(--version)
	[[ $target == kubectl ]] && args=(version --client)
	[[ $target == helm ]] && args=(version --short)
	"$binary" "${args[@]}" >&2 || die "the freshly built $target does not run"
}

# Builds into a temporary file next to the cached one and renames it into
# place, so that an interrupted build never leaves a broken cached binary.
build_target() {
	local target=$1 dest=$2 started=$SECONDS tmp="$2.tmp.$$"
	TMP_FILES+=("$tmp")
	log "building $target $(version_of "$target"); the first build takes several minutes"
	case $target in
	kube-apiserver | kubectl) build_kubernetes_command "$target" "$tmp" ;;
	etcd) build_etcd "$tmp" ;;
	helm) build_helm "$tmp" ;;
	esac
	check_runs "$target" "$tmp"
	mv -f -- "$tmp" "$dest"
	log "built $dest in $((SECONDS - started))s"
}

add_targets() {
	local target
	for target in "$@"; do
		[[ " ${TARGETS[*]} " == *" $target "* ]] || TARGETS+=("$target")
	done
}

parse_targets() {
	local arg
	[[ $# -gt 0 ]] || set -- control-plane
	for arg in "$@"; do
		case $arg in
		-h | --help)
			usage
			exit 0
			;;
		control-plane) add_targets kube-apiserver etcd kubectl ;;
		all) add_targets kube-apiserver etcd kubectl helm ;;
		kube-apiserver | etcd | kubectl | helm) add_targets "$arg" ;;
		*)
			usage >&2
			die "unknown target: $arg"
			;;
		esac
	done
}

main() {
	local target dest
	local -a missing=()
	parse_targets "$@"

	for target in "${TARGETS[@]}"; do
		use_env_override "$target" && continue
		dest=$(cached_path "$target")
		if [[ -x $dest ]]; then
			RESOLVED[$target]=$dest
		else
			missing+=("$target")
		fi
	done

	if ((${#missing[@]} > 0)); then
		mkdir -p "$BIN_DIR" "$SRC_DIR"
		find_go
		take_build_lock
		for target in "${missing[@]}"; do
			dest=$(cached_path "$target")
			# Another run may have built it while we waited for the lock.
			if [[ -x $dest ]]; then
				log "$target: built meanwhile by another run"
			else
				build_target "$target" "$dest"
			fi
			RESOLVED[$target]=$dest
		done
	fi

	for target in "${TARGETS[@]}"; do
		printf '%s=%s\n' "$(env_name "$target")" "${RESOLVED[$target]}"
	done
}

main "$@"
