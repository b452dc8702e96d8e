"""Write bot/rules/lookalikes.json from the confusables data (run after upgrading confusable-homoglyphs)."""

import json

from bot.rules.normalize import LOOKALIKES_FILE, build_lookalikes

if __name__ == "__main__":
    table = build_lookalikes()
    LOOKALIKES_FILE.write_text(
        json.dumps(dict(sorted(table.items())), ensure_ascii=False, indent=0) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(table)} look-alikes to {LOOKALIKES_FILE}")
