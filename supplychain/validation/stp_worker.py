"""Run spdx-tools on one file in a child process and print its messages as JSON.

Why a child: spdx-tools is quadratic on large documents (VALIDATION.md §2) and cannot be
interrupted in-process, so the parent bounds it with a timeout and a size cap and kills it.
Usage: python -m supplychain.validation.stp_worker FILE
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    messages: list[dict[str, str | None]] = []
    try:
        document = parse_file(path)
    except Exception as exc:  # every parser failure is a verdict, not a crash
        get = getattr(exc, "get_messages", None)
        texts = get() if callable(get) else [f"{type(exc).__name__}: {exc}"]
        messages = [{"message": str(t), "spdx_id": None, "kind": "parse"} for t in texts]
    else:
        for item in validate_full_spdx_document(document):
            context = item.context
            messages.append(
                {
                    "message": item.validation_message,
                    "spdx_id": getattr(context, "spdx_id", None) if context else None,
                    "kind": "validate",
                }
            )
    json.dump(messages, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
