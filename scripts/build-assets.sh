#!/usr/bin/env bash
# Build the front-end assets into static/build/ (git-ignored; whitenoise serves them).
#
#   static/build/civic.css                 frontend/civic.scss compiled with GOV.UK Frontend
#   static/build/govuk-frontend.min.js     GOV.UK Frontend's ES module (and its source map)
#   static/build/htmx.min.js               htmx, for live parts of admin pages (campaign progress)
#
# Needs Node.js 20 or later. Run from anywhere: `bash scripts/build-assets.sh`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund
else
    npm install --no-audit --no-fund
fi

govuk="node_modules/govuk-frontend/dist/govuk"
out="static/build"
rm -rf "$out"
mkdir -p "$out"

# The source map is left out on purpose: Django's manifest storage would have to resolve it, and
# production needs no map of a stylesheet whose source is in the repository.
node_modules/.bin/sass --pkg-importer=node --no-source-map --style=compressed \
    frontend/civic.scss "$out/civic.css"

# The map travels with the script because the script names it (sourceMappingURL), and
# collectstatic's manifest storage refuses a reference to a file that does not exist.
cp "$govuk/govuk-frontend.min.js" "$govuk/govuk-frontend.min.js.map" "$out/"

# htmx names no source map, so the minified file goes alone. Pages that load it also set
# <meta name="htmx-config"> so that it injects no inline style and evaluates nothing (the CSP).
cp node_modules/htmx.org/dist/htmx.min.js "$out/"

# civic draws no GOV.UK image (the crest and icons are GOV.UK's own), so no images are copied.
echo "Built $(ls "$out" | tr '\n' ' ')into $out/"
