"""Where each subcommand lives: name -> the module that registers it on ``cli`` when imported.

Modules are imported lazily (``main.LazyGroup``), so a new command needs one line here.
"""

from __future__ import annotations

COMMAND_MODULES: dict[str, str] = {
    "attest": "supplychain.cli.signing_image",
    "copy": "supplychain.cli.copy",
    "gomod": "supplychain.cli.gomod",
    "inspect": "supplychain.cli.inspect",
    "keys": "supplychain.cli.signing_blob",
    "sbom": "supplychain.cli.sbom",
    "sign": "supplychain.cli.signing_image",
    "sign-blob": "supplychain.cli.signing_blob",
    "validate": "supplychain.cli.validate",
    "verify": "supplychain.cli.signing_image",
    "verify-attestation": "supplychain.cli.signing_image",
    "verify-blob": "supplychain.cli.signing_blob",
}
