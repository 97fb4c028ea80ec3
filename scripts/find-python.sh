#!/usr/bin/env bash
# Print the path of a Python 3.12 or newer (Django 6.1 needs it), trying the usual names and
# pyenv's versions, so that `make` works on a machine whose default python3 is older.
set -u
candidates=(python3.14 python3.13 python3.12 python3)
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin; do
    [[ -x "$dir/python3" ]] && candidates+=("$dir/python3")
done
for candidate in "${candidates[@]}"; do
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
        command -v "$candidate" 2>/dev/null || echo "$candidate"
        exit 0
    fi
done
echo "civic needs Python 3.12 or newer; none was found (tried ${candidates[*]})" >&2
exit 1
