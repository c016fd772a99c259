#!/usr/bin/env bash
# Debian tools the test suite drives: GDAL's ogrinfo/ogr2ogr (a real OGC API client),
# Chromium (the browser tests) and Noto CJK fonts (so Chinese renders in the browser tests'
# screenshots and in LibreOffice's PDFs instead of empty boxes), PgBouncer
# (tests/test_pgbouncer.py runs one of its own on a free port; the package's service is not
# used), LibreOffice Writer headless and poppler's pdftotext (tests/campaign/test_public_office.py
# opens the generated DOCX public report in a word processor and reads the PDF it prints).
# Installed only when missing.
set -euo pipefail
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' \
  || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure_test_tools: installing ${missing[*]}" >&2
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}" >/dev/null
fi
