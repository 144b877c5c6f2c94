"""The one error tree of supplychain and its mapping onto exit codes.

Every failure a user can meet is one of these, so the CLI can print a single line naming the
input and the problem, and CI can tell a bad artifact (1) from a bad request (2) from a check
that could not run (3). Foreign exceptions are translated where they enter (``raise X from e``).
Stdlib only: everything else imports this module.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Documented process exit codes (README, "Exit codes")."""

    OK = 0
    REJECTED = 1
    USAGE = 2
    UNCHECKED = 3


class Error(Exception):
    """Root of every error supplychain raises on purpose.

    ``subject`` names the input at fault (a reference, a file, a policy key); ``hint`` says what
    to do about it. Neither may ever hold a secret.
    """

    exit_code: ExitCode = ExitCode.UNCHECKED

    def __init__(self, message: str, *, subject: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.subject = subject
        self.hint = hint

    def diagnostics(self) -> str:
        """One or two sentences: which input, what was wrong, what to do."""
        text = f"{self.subject}: {self.message}" if self.subject else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.diagnostics()


# --- 2: the request could not be understood -------------------------------------------------


class UsageError(Error):
    """Bad flags, a malformed reference typed by the user, an invalid policy or profile."""

    exit_code = ExitCode.USAGE


class PolicyError(UsageError):
    """A policy or profile file that is unreadable, has unknown keys or wrong types."""


# --- 1: rejected ----------------------------------------------------------------------------


class RejectedError(Error):
    """Evidence missing or invalid, or an input that is malformed or hostile."""

    exit_code = ExitCode.REJECTED


class InvalidInputError(RejectedError):
    """An input (file, manifest, document, archive) that does not parse or is out of spec."""


class IntegrityError(RejectedError):
    """Bytes that do not match the digest or size they were asked for or declared with."""


class LimitExceededError(RejectedError):
    """An input over one of the hard limits of docs/security.md (size, count, depth, ratio)."""


class UnsupportedError(RejectedError):
    """A well-formed input of a kind we deliberately do not accept (e.g. schema 1 manifests)."""


class VerificationError(RejectedError):
    """A signature, attestation or policy check that failed."""


# --- 3: could not check ---------------------------------------------------------------------


class CouldNotCheckError(Error):
    """The check could not run: network, auth, deadline, a missing tool, an internal fault."""

    exit_code = ExitCode.UNCHECKED


class NetworkError(CouldNotCheckError):
    """Connection refused, DNS, TLS, 5xx or 429 after retries."""


class AuthError(CouldNotCheckError):
    """Credentials missing or refused."""


class DeadlineExceededError(CouldNotCheckError):
    """A call ran past its total deadline (slow bodies, hangs, long Retry-After)."""


class NotFoundError(CouldNotCheckError):
    """The thing asked for does not exist (manifest, blob, tag, file)."""


class ToolMissingError(CouldNotCheckError):
    """An external tool we need (e.g. ``go``) is not installed."""


def exit_code_for(exc: BaseException) -> ExitCode:
    """Map any exception to an exit code; unknown ones are 3, never 1 ("rejected")."""
    if isinstance(exc, Error):
        return exc.exit_code
    return ExitCode.UNCHECKED


def combine_exit_codes(codes: list[ExitCode]) -> ExitCode:
    """Several subjects: 1 if any rejected, else 3 if any unchecked, else 2 if any usage, else 0."""
    for code in (ExitCode.REJECTED, ExitCode.UNCHECKED, ExitCode.USAGE):
        if code in codes:
            return code
    return ExitCode.OK
