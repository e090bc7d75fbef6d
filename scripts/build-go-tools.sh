#!/usr/bin/env bash
# Builds the Go programs the tests run, from the Go module proxy, into a cache folder outside the
# repository (CLOUDTUNER_TOOLS_DIR, default ~/.cache/cloudtuner-tools/<name>-<version>/<binary>).
# A binary already there is kept: the first build takes minutes, later runs none.
#
#   thanos      v0.39.2   (the version docker-compose.yml pins)   receive, store and query
#   prometheus  v0.316.0  (Prometheus 3.16.0: a Remote-Write 2.0 sender)
#   ferretdb    v1.24.2   (the MongoDB wire protocol over embedded SQLite: MONGODB_URL's tests)
#
# Thanos' go.mod carries `replace` directives, which `go install pkg@version` refuses; so each
# program is built from a throwaway wrapper module in the cache folder that requires it and
# repeats its replaces. Nothing of their source enters this repository.
#
# Usage: scripts/build-go-tools.sh [thanos|prometheus|ferretdb ...]   (no argument: all three)
#        prints one "name=/path/to/binary" line per program.
set -euo pipefail

TOOLS_DIR="${CLOUDTUNER_TOOLS_DIR:-$HOME/.cache/cloudtuner-tools}"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

build() {
  local name=$1 module=$2 version=$3 pkg=$4 release=$5 extra=${6:-}
  local dir="$TOOLS_DIR/$name-$version"
  local out="$dir/$name"
  if [ -x "$out" ]; then
    echo "$name=$out"
    return
  fi
  command -v go >/dev/null || { echo "go is needed to build $name (Go 1.26 from the Go module proxy)" >&2; exit 1; }
  local started=$SECONDS
  rm -rf "$dir/wrapper"
  mkdir -p "$dir/wrapper"
  (
    cd "$dir/wrapper"
    cat >go.mod <<MOD
// Throwaway: written by scripts/build-go-tools.sh to build $module $version.
module cloudtuner-tools/$name

go 1.24.0

require $module $version
MOD
    # The program's own replace directives, copied from its go.mod as the proxy serves it.
    local gomod
    gomod=$(go mod download -json "$module@$version" | node -e \
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).GoMod))')
    awk '/^replace[ \t]*\(/{block=1} block{print} block&&/^\)/{block=0;next} !block&&/^replace[ \t]+[^(]/{print}' \
      "$gomod" >>go.mod
    # Modules the proxy here refuses, pointed at a mirror of the same code.
    if [ -n "$extra" ]; then printf '\n%s\n' "$extra" >>go.mod; fi
    go mod tidy >/dev/null 2>&1 || true
    go get "$module@$version"
    if [ "$name" = ferretdb ]; then
      # FerretDB embeds build/version/version.txt, which its release tooling generates and the
      # module zip lacks; built from a dependency, Go 1.26 records FerretDB as the main module,
      # so its init panics without it. A writable copy of the module with the file, swapped in.
      local src
      src=$(go list -m -f '{{.Dir}}' "$module")
      rm -rf source && cp -r "$src" source && chmod -R u+w source
      echo "v$release" >source/build/version/version.txt
      go mod edit -replace "$module=./source"
    fi
    go build -trimpath -o "$out.tmp" \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=$release -X github.com/prometheus/common/version.Branch=cloudtuner-tools" \
      "$pkg"
  ) >&2
  mv "$out.tmp" "$out"
  echo "built $name $version in $((SECONDS - started)) s" >&2
  echo "$name=$out"
}

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(thanos prometheus ferretdb)
for tool in "${want[@]}"; do
  case "$tool" in
    # zenhack.net/go/util (capnp's dependency) is not served by the module proxy; its GitHub
    # mirror at the same commit is.
    thanos) build thanos github.com/thanos-io/thanos v0.39.2 github.com/thanos-io/thanos/cmd/thanos 0.39.2 \
      'replace zenhack.net/go/util => github.com/zenhack/go-util v0.0.0-20231005031245-66f5419c2aea' ;;
    prometheus) build prometheus github.com/prometheus/prometheus v0.316.0 github.com/prometheus/prometheus/cmd/prometheus 3.16.0 ;;
    ferretdb) build ferretdb github.com/FerretDB/FerretDB v1.24.2 github.com/FerretDB/FerretDB/cmd/ferretdb 1.24.2 ;;
    *) echo "unknown tool: $tool (thanos, prometheus, ferretdb)" >&2; exit 2 ;;
  esac
done
