"""Fill the Chinese catalogue from JSON files of translations: python scripts/i18n_merge.py FILE.json...

Each file maps an English msgid to its Chinese msgstr ({"Open requests": "未办结诉求"}); for a
plural msgid the value is the one Chinese form. Run after `make translations` has extracted the
strings: entries the catalogue has are filled (and lose any fuzzy mark); msgids the catalogue
does not have are listed, so a typo in a key is seen. Lets several people translate areas at
once without editing the same .po file.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "app/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def merge(files: list[str]) -> int:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    filled, unknown = 0, []
    for name in files:
        for msgid, msgstr in json.loads(Path(name).read_text(encoding="utf-8")).items():
            message = catalog.get(msgid)
            if message is None:
                unknown.append((name, msgid))
                continue
            message.string = tuple([msgstr]) if message.pluralizable else msgstr
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100)
    print(f"{filled} translations merged into {PO.relative_to(Path.cwd()) if PO.is_relative_to(Path.cwd()) else PO}")
    for name, msgid in unknown:
        print(f"not in the catalogue ({name}): {msgid!r}")
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else any(m.string))]
    print(f"{len(missing)} strings still untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(merge(sys.argv[1:]))
