#!/usr/bin/env bash
# Builds the test-bed binaries from Go modules (no GitHub/dl.k8s.io access needed) into
#   ${KDEPLOY_TESTBED_CACHE:-~/.cache/kdeploy-testbed}/<k8s-version>/bin
# Idempotent: a binary is rebuilt only when its version stamp file is missing or differs.
# Versions come from versions.env; override with K8S_VERSION / ETCD_VERSION / KWOK_VERSION.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
declare -A PINNED
while IFS='=' read -r k v; do PINNED[$k]=$v; done < <(grep -E '^[A-Z0-9_]+=' "$HERE/versions.env")
K8S_VERSION="${K8S_VERSION:-${PINNED[K8S_VERSION]}}"
ETCD_VERSION="${ETCD_VERSION:-${PINNED[ETCD_VERSION]}}"
KWOK_VERSION="${KWOK_VERSION:-${PINNED[KWOK_VERSION]}}"

CACHE_ROOT="${KDEPLOY_TESTBED_CACHE:-$HOME/.cache/kdeploy-testbed}"
ROOT="$CACHE_ROOT/$K8S_VERSION"
BIN="$ROOT/bin"
mkdir -p "$BIN"

# Go 1.26 from PATH must be used as is: GOTOOLCHAIN=local stops go from trying to download another toolchain.
export GOTOOLCHAIN=local CGO_ENABLED=0
BASE_GOFLAGS="${GOFLAGS:-}"

log() { printf '[build.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

up_to_date() { # name version
  [[ -x "$BIN/$1" && -f "$BIN/.$1.version" && "$(cat "$BIN/.$1.version")" == "$2" ]]
}

# Build into a temp dir and move into place, so an interrupted build never leaves a half-written binary.
install_bins() { # version tmpdir names...
  local ver="$1" tmp="$2"; shift 2
  for n in "$@"; do
    mv -f "$tmp/$n" "$BIN/$n"
    echo "$ver" > "$BIN/.$n.version"
  done
  rm -rf "$tmp"
}

build_k8s() {
  local names=(kube-apiserver kube-controller-manager kube-scheduler) n need=0
  for n in "${names[@]}"; do up_to_date "$n" "$K8S_VERSION" || need=1; done
  if (( ! need )); then log "kubernetes v$K8S_VERSION: cached"; return; fi
  log "kubernetes v$K8S_VERSION: building ${names[*]}"
  local minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
  local staging="v0.${K8S_VERSION#1.}" src="$ROOT/src/k8s"
  mkdir -p "$src"
  (
    cd "$src"
    export GOFLAGS="$BASE_GOFLAGS -mod=mod"
    [[ -f go.mod ]] || go mod init example.invalid/kdeploy-k8s-testbins
    # k8s.io/kubernetes requires its staging modules at v0.0.0 with replaces to ./staging, which Go ignores in a
    # dependency: pin every staging module named in that version's go.mod to the published tag instead.
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\([^"]*\)".*/\1/p')
    [[ -f "$gomod" ]] || { log "cannot fetch go.mod of k8s.io/kubernetes@v$K8S_VERSION"; exit 1; }
    local m count=0
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$gomod"); do
      go mod edit -replace="$m=$m@$staging"
      count=$((count + 1))
    done
    log "pinned $count staging modules to $staging"
    go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION"
    # Unstamped builds report v0.0.0-master; stamp both version packages so /version and --version are right.
    local ldf="-s -w" p
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldf+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      ldf+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    rm -rf .out && mkdir .out
    go build -trimpath -ldflags "$ldf" -o .out/ \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
    install_bins "$K8S_VERSION" .out "${names[@]}"
  )
  "$BIN/kube-apiserver" --version
}

build_etcd() {
  if up_to_date etcd "$ETCD_VERSION"; then log "etcd v$ETCD_VERSION: cached"; return; fi
  log "etcd v$ETCD_VERSION: building"
  # Separate module: in one module with k8s, MVS would couple etcd's version to k8s's etcd client.
  # `go install go.etcd.io/etcd/server/v3@v` is refused (its go.mod has replaces); a wrapper module is not.
  local src="$ROOT/src/etcd"
  mkdir -p "$src"
  (
    cd "$src"
    export GOFLAGS="$BASE_GOFLAGS -mod=mod"
    [[ -f go.mod ]] || go mod init example.invalid/kdeploy-etcd-build
    go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    rm -rf .out && mkdir .out
    go build -trimpath -ldflags "-s -w" -o .out/etcd go.etcd.io/etcd/server/v3
    install_bins "$ETCD_VERSION" .out etcd
  )
  "$BIN/etcd" --version | head -1
}

build_kwok() {
  if up_to_date kwok "$KWOK_VERSION"; then log "kwok v$KWOK_VERSION: cached"; return; fi
  log "kwok v$KWOK_VERSION: building"
  local tmp="$ROOT/src/kwok-out"
  rm -rf "$tmp" && mkdir -p "$tmp"
  GOBIN="$tmp" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  install_bins "$KWOK_VERSION" "$tmp" kwok
}

# Sequential on purpose: each link of kube-apiserver takes GBs and both cores.
build_etcd
build_kwok
build_k8s
log "done: $BIN"
ls -la "$BIN"
