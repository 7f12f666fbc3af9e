#!/usr/bin/env python3
"""Merge two or more .po catalogs of one language into their union.

Branches each add strings to ``workflow/translations/<lang>/LC_MESSAGES/messages.po``; after a
git merge, keep one side's file, then run, for each language::

    python scripts/po_merge.py -o merged.po ours.po theirs.po [more.po ...]

For every msgid (with its context) the first non-empty, non-fuzzy translation in argument order
wins; where only fuzzy suggestions exist the first one is kept, still marked fuzzy, for a
translator to confirm. Differing confirmed translations are listed on stderr so the lead can
choose. Afterwards bring the result in line with the source:

    cp merged.po workflow/translations/ru/LC_MESSAGES/messages.po && make i18n

Only the standard library and Babel are used. Exit status: 0 merged, 2 on bad input
(unreadable file, or catalogs of different languages).
"""

from __future__ import annotations

import argparse
import copy
import sys

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po


def translated(message: Message) -> bool:
    """True when every form of the translation is filled in."""
    if isinstance(message.string, tuple | list):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def same_shape(a: Message, b: Message) -> bool:
    """Both singular, or both plural: a plural translation never fills a singular msgid."""
    return isinstance(a.id, tuple | list) == isinstance(b.id, tuple | list)


def load(path: str) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, abort_invalid=True)


def merge(catalogs: list[Catalog], names: list[str] | None = None,
          warn=lambda text: print(text, file=sys.stderr)) -> Catalog:
    """Return the union of ``catalogs``; the header (and Plural-Forms) is the first one's.

    :raise ValueError: when the catalogs are not all of one language.
    """
    names = names or [f"catalog {i + 1}" for i in range(len(catalogs))]
    locales = {str(c.locale) for c in catalogs if c.locale is not None}
    if len(locales) > 1:
        raise ValueError(f"catalogs of different languages: {', '.join(sorted(locales))}")
    merged = copy.deepcopy(catalogs[0])
    for message in list(merged):
        if message.id:
            merged.delete(message.id, context=message.context)
    merged.obsolete.clear()
    chosen_from: dict = {}
    for name, catalog in zip(names, catalogs, strict=True):
        for message in catalog:
            if not message.id:
                continue  # the header
            key = (message.id[0] if isinstance(message.id, tuple | list) else message.id,
                   message.context)
            current = merged.get(key[0], context=key[1])
            good = translated(message) and not message.fuzzy
            if current is None:
                fresh = copy.deepcopy(message)
                if not translated(fresh):
                    fresh.flags.discard("fuzzy")
                merged[fresh.id] = fresh
                if good:
                    chosen_from[key] = name
                continue
            if not same_shape(current, message):
                continue
            current_good = translated(current) and not current.fuzzy
            if good and not current_good:
                current.string = copy.deepcopy(message.string)
                current.flags.discard("fuzzy")
                chosen_from[key] = name
            elif good and current_good and current.string != message.string:
                warn(f"conflict for {key[0]!r}: kept {chosen_from[key]}, not {name}")
            elif not current_good and not translated(current) and translated(message):
                current.string = copy.deepcopy(message.string)
                current.flags.add("fuzzy")  # only a suggestion: someone must confirm it
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="the merged .po to write")
    parser.add_argument("inputs", nargs="+", help="two or more .po files, best first")
    args = parser.parse_args(argv)
    if len(args.inputs) < 2:
        parser.error("give at least two .po files")
    try:
        catalogs = [load(path) for path in args.inputs]
        merged = merge(catalogs, args.inputs)
    except (OSError, ValueError) as error:
        print(f"po_merge: {error}", file=sys.stderr)
        return 2
    with open(args.output, "wb") as fh:
        write_po(fh, merged, width=76, sort_output=True, ignore_obsolete=True)
    done = sum(1 for m in merged if m.id and translated(m) and not m.fuzzy)
    total = sum(1 for m in merged if m.id)
    print(f"po_merge: {done} of {total} messages translated in {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
