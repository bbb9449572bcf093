#!/usr/bin/env bash
# Installs one pinned Terraform release, checked against its SHA-256, for the checks that buildspec.yml runs
# (scripts/checks/infrastructure.sh calls `terraform fmt` and `terraform validate`).
#
#   install-terraform.sh VERSION SHA256
#
# VERSION is a release of releases.hashicorp.com (e.g. 1.11.4) and SHA256 the checksum of its linux_amd64 zip, as
# HashiCorp's terraform_<VERSION>_SHA256SUMS lists it; both are pinned in buildspec.yml, so a changed or replaced
# download fails the build here instead of running. TERRAFORM_INSTALL_DIR (default /usr/local/bin) is where the
# binary goes. The zip is unpacked with Python's zipfile, which every build image here has (unzip may not).
set -euo pipefail

version=${1:?usage: install-terraform.sh VERSION SHA256}
expected=${2:?usage: install-terraform.sh VERSION SHA256}
dest=${TERRAFORM_INSTALL_DIR:-/usr/local/bin}
name="terraform_${version}_linux_amd64.zip"

[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  echo "install-terraform.sh: '$version' is not a release number" >&2
  exit 2
}
[[ $expected =~ ^[0-9a-f]{64}$ ]] || {
  echo "install-terraform.sh: '$expected' is not a SHA-256 in hex" >&2
  exit 2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

curl -fsSL --retry 3 -o "$work/$name" "https://releases.hashicorp.com/terraform/${version}/${name}"
actual=$(sha256sum "$work/$name" | cut -d ' ' -f 1)
if [[ $actual != "$expected" ]]; then
  echo "install-terraform.sh: $name has SHA-256 $actual, expected $expected: not installed" >&2
  exit 1
fi

mkdir -p "$dest"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("terraform", sys.argv[2])' "$work/$name" "$work"
install -m 0755 "$work/terraform" "$dest/terraform"
"$dest/terraform" version
