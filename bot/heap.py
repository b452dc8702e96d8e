"""Keep long-lived objects (compiled rules, word tables, models) out of the collector's full passes."""

from __future__ import annotations

import gc

# New container objects between two young-generation passes. Deciding a message allocates tens of
# them, nearly all freed at once by reference counting: at the default (700) a pass runs every ~20
# messages, and the few survivors (recent texts, history entries) move on to older generations,
# whose passes walk more. 10,000: -1.5% instructions a message (bench/instructions.py); 50,000: -1.2%
# more (session 4), for at most a few MB of cyclic garbage kept a little longer (garbage without
# cycles is freed at once whatever the threshold).
YOUNG_OBJECTS_PER_PASS = 50_000


def settle() -> None:
    """Collect what is garbage now, then freeze what is left alive.

    A loaded rule set holds hundreds of thousands of objects that live as long as it does. The
    cyclic collector would walk all of them again at every full pass, a cost paid per message
    (about an eighth of the engine's time). Frozen objects are skipped. Call it after loading, and
    after a reload: frozen objects are first unfrozen, so a replaced rule set is collected then
    rather than kept forever. It also sets the young-generation threshold (below).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_PER_PASS, older, oldest)
