#!/usr/bin/env bash
# What the system must provide for the tests, installed in one place (used by `make test` and
# `.ci/run`). As root the missing Debian packages are installed with apt-get; otherwise one line
# names the command to run, and the script fails.
# Usage: scripts/system-deps.sh [browser] [postgres] [redis]   (no argument: everything)
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(browser postgres redis)
packages=()
for w in "${want[@]}"; do
  case "$w" in
    browser)
      [ -x /usr/bin/chromium ] || packages+=(chromium)
      [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core) ;;
    postgres)
      ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || packages+=(postgresql) ;;
    redis)  # the Redis session/rate-limit tests and `make test-services` start redis-server
      command -v redis-server >/dev/null 2>&1 || packages+=(redis-server) ;;
    *) echo "system-deps.sh: inconnu : $w" >&2; exit 2 ;;
  esac
done
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Paquets système manquants, à installer en root : apt-get install ${packages[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
