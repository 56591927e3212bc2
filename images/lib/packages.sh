# Sourced by ./tests/run, ./images/run and tests/bench/run: installs the Debian
# packages of the given sets from images/debian-packages (the one list) when missing.
# Usage: kons_packages_list SET...     prints the packages of those sets
#        kons_ensure_packages SET...   installs the missing ones (apt-get, root or sudo)

kons_root=${kons_root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

kons_packages_list() {
    local sets=" $* "
    while read -r set pkg _; do
        case "$set" in ''|'#'*) continue ;; esac
        [[ "$sets" == *" $set "* ]] && printf '%s\n' "$pkg"
    done < "$kons_root/images/debian-packages"
}

kons_ensure_packages() {
    local missing=() pkg
    for pkg in $(kons_packages_list "$@"); do
        # dpkg-query answers "install ok installed" only for a fully installed package.
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    echo "kons: installing missing Debian packages: ${missing[*]}" >&2
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "kons: need root or sudo to install: ${missing[*]}" >&2; return 1; }
        sudo=(sudo)
    fi
    # A fresh machine's package lists are empty: update first.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2 || return 1
}
