#!/usr/bin/env bash
# Make a minimal Debian root file system with debootstrap and import it into podman as IMAGE:
# the stand-in for the debian:*-slim base image in tests that cannot pull from an image registry.
#
#   tests/container/debian-base.sh IMAGE [SUITE]      (root; SUITE defaults to bookworm)
#
# Packages come from the Debian mirror this machine's apt sources already use for SUITE (run
# `apt-get update` first: the mirror is read from apt's index targets). The tree is slimmed the way the
# official slim images are (dpkg path excludes for documentation, man pages and translations; apt keeps
# no package cache or translated indexes) and its apt sources list SUITE, SUITE-updates and
# SUITE-security from the same mirrors, so `apt-get install` in a Dockerfile behaves as on debian:SUITE-slim.
set -euo pipefail

image=${1:?usage: debian-base.sh IMAGE [SUITE]}
suite=${2:-bookworm}

# shellcheck disable=SC2016  # $(...) here is apt's format syntax, not the shell's
targets=$(apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE)' 2>/dev/null | sort -u)
mirror=$(awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }' <<<"$targets")
if [ -z "$mirror" ]; then
  echo "debian-base.sh: apt has no index for suite '$suite' (run apt-get update; is it in apt's sources?)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# The same sources as the host for this suite: main, -updates and -security.
awk -v s="$suite" '$1 == "deb" && ($3 == s || $3 == s "-updates" || $3 == s "-security") { print "deb " $2 " " $3 " main" }' \
  <<<"$targets" >"$root/etc/apt/sources.list"

# Slim like the official images: no docs (copyright files kept), man pages, info pages or translations.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"

rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/root/.bash_history

tar --numeric-owner --xattrs -C "$root" -c . | podman import --quiet - "$image" >/dev/null
echo "$image"
