"""Offline verification of an export: the file and public keys, no database.

The verifier reads the file once, line by line, and stops at the first broken rule. It checks
the exact bytes, not just their meaning: each line must be byte-for-byte the canonical JSON of
what it parses to (so re-spacing or re-escaping a line is a failure even though the value is
unchanged), entries are numbered 1, 2, 3... without gaps, the salted commitment of every
released entry and the chain value of every line (released or withheld) are recomputed,
checkpoints cover consecutive ranges and chain to each other, each Merkle root and checkpoint
hash is recomputed, each signature is checked, and the header's counts must match (so a file
cut at a line boundary fails too). A nation's export, where the entries it may not read are
withheld lines, verifies by the same rules with the same signatures as the HQ's own.
``docs/ledger.md`` lists every rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ceasefire.errors import InputError
from ceasefire.ledger.chain import body_commitment, chain_hash, leaf_data
from ceasefire.ledger.export import FORMAT_NAME, FORMAT_VERSION
from ceasefire.ledger.keys import TrustedKey, check_owner
from ceasefire.ledger.lines import (
    ENTRY_SCHEMA,
    HEX128,
    ParsedLine,
    Rule,
    RuleError,
    check_timestamp,
    hex64,
    merkle_root_hex,
    parse_line,
    signature_ok,
)
from ceasefire.ledger.marking import check_marking
from ceasefire.ledger.model import EVENT_TYPE_RE, GENESIS_HASH, MAX_SUBJECT_LEN, KeyRole
from ceasefire.ledger.signing import checkpoint_hash, fingerprint, signature_message

_ENTRY_LINES = ("header", "key", "entry", "withheld", "checkpoint", "signature")
_ALLOWED_AFTER = {
    "header": ("",),
    "key": ("header", "key"),
    "entry": _ENTRY_LINES,
    "withheld": _ENTRY_LINES,
    "checkpoint": ("entry", "withheld"),
    "signature": ("checkpoint", "signature"),
}
#: A released line is ``{"chain":"<64 hex>","entry":`` E ``,"hdr":{},"kind":"entry",...``.
_ENTRY_START = len(b'{"chain":"') + 64 + len(b'","entry":')


@dataclass(frozen=True, slots=True)
class Failure:
    """The first broken rule: 1-based line (None: at end of file), the entry number at that
    line (None when it is not an entry line), the rule and what was wrong."""

    line_no: int | None
    entry_seq: int | None
    rule: Rule
    message: str


@dataclass(frozen=True, slots=True)
class SignerTally:
    """How many checkpoints one key signed."""

    owner: str
    role: str
    fingerprint: str
    checkpoints: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of a verification; ``trusted`` says signatures were checked against keys given
    by the caller rather than only against the keys the file itself carries."""

    failure: Failure | None
    ledger_id: str | None
    entries: int
    checkpoints: int
    signatures: int
    signers: tuple[SignerTally, ...]
    trusted: bool
    checkpoint_hashes: tuple[str, ...] = ()
    """Hash of each checkpoint verified, in order (what a later export must repeat)."""
    withheld: int = 0
    """Entries the file carries as commitments only (withheld from its recipient)."""

    @property
    def ok(self) -> bool:
        """True when every rule held."""
        return self.failure is None


@dataclass(frozen=True, slots=True)
class _Key:
    owner: str
    role: KeyRole
    public_key: str


class Verifier:
    """A streaming verifier: ``feed`` lines in order, then ``finish``; stops at the first failure.

    ``clone`` copies the state, so a caller can verify many files sharing a prefix without
    re-reading it (the mutation test does this; the result is the same as a fresh run).
    """

    def __init__(self, *, trusted: Sequence[TrustedKey] = (), min_countersignatures: int = 0):
        self.trusted = {k.fingerprint: k for k in trusted}
        self.min_countersignatures = min_countersignatures
        self.failure: Failure | None = None
        self.line_no = 0
        self.header: dict[str, object] = {}
        self.keys: dict[str, _Key] = {}
        self.signed: dict[str, int] = {}  # checkpoints signed, by key fingerprint
        self.last_kind = ""
        self.last_key = ""
        self.next_seq = 1
        self.last_hash = GENESIS_HASH
        self.pending: list[bytes] = []
        self.withheld = 0
        self.cp_seq = 0
        self.cp_hash = GENESIS_HASH
        self.cp_hashes: list[str] = []
        self.cp_hq = self.cp_nations = self.signatures = 0
        self.cp_last_sig: tuple[int, str, str] = (-1, "", "")

    def clone(self) -> Verifier:
        """An independent copy of the current state."""
        twin = Verifier.__new__(Verifier)
        twin.__dict__.update(self.__dict__)
        twin.pending = list(self.pending)
        twin.cp_hashes = list(self.cp_hashes)
        twin.keys = dict(self.keys)
        twin.signed = dict(self.signed)
        return twin

    def feed(self, raw: bytes) -> bool:
        """Check one line (with its ``\\n``); False once a rule has failed."""
        if self.failure is not None:
            return False
        self.line_no += 1
        try:
            if not raw.endswith(b"\n"):
                raise RuleError(Rule.TRUNCATED, "the last line has no newline: file cut short?")
            parsed = parse_line(raw[:-1])
            if isinstance(parsed, tuple):
                raise RuleError(*parsed)
            self._dispatch(parsed)
        except RuleError as broken:
            in_entry = b'"kind":"entry"' in raw or b'"kind":"withheld"' in raw
            at_entry = self.next_seq if in_entry else None
            self.failure = Failure(self.line_no, at_entry, broken.rule, broken.message)
            return False
        return True

    def finish(self) -> Verdict:
        """End-of-file rules (last checkpoint signed, all entries covered, counts) and verdict."""
        if self.failure is None:
            try:
                self._finish()
            except RuleError as broken:
                self.failure = Failure(None, None, broken.rule, broken.message)
        ledger_id = self.header.get("ledger")
        return Verdict(
            failure=self.failure,
            ledger_id=ledger_id if isinstance(ledger_id, str) else None,
            entries=self.next_seq - 1,
            checkpoints=self.cp_seq,
            signatures=self.signatures,
            signers=tuple(
                SignerTally(k.owner, str(k.role), fp, self.signed.get(fp, 0))
                for fp, k in self.keys.items()
            ),
            trusted=bool(self.trusted),
            checkpoint_hashes=tuple(self.cp_hashes),
            withheld=self.withheld,
        )

    def _dispatch(self, line: ParsedLine) -> None:
        if self.last_kind not in _ALLOWED_AFTER[line.kind]:
            after = f"after a {self.last_kind} line" if self.last_kind else "first"
            rule = Rule.HEADER if not self.last_kind or line.kind == "header" else Rule.ORDER
            raise RuleError(rule, f"a {line.kind} line cannot come {after}")
        if line.kind == "header":
            self._header(line.obj)
        elif line.kind == "key":
            self._key(line.obj)
        elif line.kind == "entry":
            self._entry(line)
        elif line.kind == "withheld":
            self._withheld(line)
        elif line.kind == "checkpoint":
            self._checkpoint(line)
        else:
            self._signature(line.obj)
        self.last_kind = line.kind

    def _header(self, obj: dict[str, object]) -> None:
        if obj["format"] != FORMAT_NAME or obj["version"] != FORMAT_VERSION:
            raise RuleError(Rule.HEADER, f"not a {FORMAT_NAME} v{FORMAT_VERSION} file")
        self.header = obj

    def _key(self, obj: dict[str, object]) -> None:
        fp, public_key = hex64(obj["fingerprint"], "fingerprint"), str(obj["public_key"])
        if fp <= self.last_key:
            raise RuleError(Rule.ORDER, "key lines must be in increasing fingerprint order")
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex64(public_key, "public_key")))
            role = KeyRole(str(obj["role"]))
            owner = check_owner(str(obj["owner"]), role)
        except (ValueError, InputError) as exc:
            raise RuleError(Rule.KEY, f"bad key record: {exc}") from exc
        if fingerprint(public_key) != fp:
            raise RuleError(Rule.KEY, "fingerprint is not SHA-256 of the public key")
        self.keys[fp] = _Key(owner, role, public_key)
        self.last_key = fp

    def _entry(self, line: ParsedLine) -> None:
        """A released entry: check it, recompute its commitment, leaf and chain value."""
        obj = self._position(line)
        salt = hex64(obj["salt"], "salt")
        entry = obj["entry"]
        assert isinstance(entry, dict)
        if set(entry) != set(ENTRY_SCHEMA):
            raise RuleError(Rule.SCHEMA, f"an entry has exactly the members {sorted(ENTRY_SCHEMA)}")
        for name, expected in ENTRY_SCHEMA.items():
            if expected is not None and not isinstance(entry[name], expected):
                raise RuleError(Rule.SCHEMA, f"entry.{name} must be {expected.__name__}")
        check_timestamp(entry["at"])
        event_type, subject = str(entry["type"]), str(entry["subject"])
        if not EVENT_TYPE_RE.match(event_type) or len(event_type) > 64:
            raise RuleError(Rule.SCHEMA, f"type {event_type!r} is not a dotted lowercase name")
        if not 0 < len(subject) <= MAX_SUBJECT_LEN:
            raise RuleError(Rule.SCHEMA, "subject must have 1..256 characters")
        _check_marking(entry["marking"])
        # The line is canonical and its members sorted, so the entry's canonical bytes are
        # the slice between the "entry" and "hdr" members: hashed as shipped, not re-encoded.
        seq = int(str(obj["seq"]))
        tail = b',"hdr":{},"kind":"entry","salt":"%s","seq":%d}' % (salt.encode(), seq)
        if not line.content.endswith(tail):
            raise RuleError(Rule.SCHEMA, "hdr must be {} in format version 2")
        body = body_commitment(bytes.fromhex(salt), line.content[_ENTRY_START : -len(tail)])
        self._link(obj, leaf_data(seq, body))

    def _withheld(self, line: ParsedLine) -> None:
        """A withheld entry: only its commitment, whose leaf and chain value are recomputed."""
        obj = self._position(line)
        self.withheld += 1
        self._link(obj, leaf_data(int(str(obj["seq"])), hex64(obj["body"], "body")))

    def _position(self, line: ParsedLine) -> dict[str, object]:
        self._close_checkpoint()
        obj = line.obj
        if obj["seq"] != self.next_seq:
            raise RuleError(Rule.SEQUENCE, f"expected entry {self.next_seq}, found {obj['seq']}")
        if obj["hdr"] != {}:
            raise RuleError(Rule.SCHEMA, "hdr must be {} in format version 2")
        hex64(obj["chain"], "chain")
        return obj

    def _link(self, obj: dict[str, object], leaf: bytes) -> None:
        if obj["chain"] != chain_hash(self.last_hash, leaf):
            raise RuleError(Rule.CHAIN, "chain is not SHA-256(tag, previous chain, leaf hash)")
        self.last_hash = str(obj["chain"])
        self.pending.append(leaf)
        self.next_seq += 1

    def _checkpoint(self, line: ParsedLine) -> None:
        obj = line.obj
        first, last = self.next_seq - len(self.pending), self.next_seq - 1
        if obj["seq"] != self.cp_seq + 1:
            raise RuleError(Rule.CHECKPOINT, f"expected checkpoint {self.cp_seq + 1}")
        if obj["ledger"] != self.header["ledger"]:
            raise RuleError(Rule.CHECKPOINT, "checkpoint names another ledger than the header")
        if (obj["first"], obj["last"]) != (first, last):
            raise RuleError(Rule.CHECKPOINT, f"checkpoint must cover entries {first}..{last}")
        if obj["prev"] != self.cp_hash:
            raise RuleError(Rule.CHAIN, "prev is not the hash of the previous checkpoint")
        if obj["head"] != self.last_hash:
            raise RuleError(Rule.CHAIN, f"head is not the chain value of entry {last}")
        check_timestamp(obj["at"])
        if hex64(obj["root"], "root") != merkle_root_hex(tuple(self.pending)):
            raise RuleError(Rule.MERKLE_ROOT, f"Merkle root of entries {first}..{last} differs")
        digest = checkpoint_hash(
            seq=int(str(obj["seq"])),
            ledger_id=str(obj["ledger"]),
            first_seq=first,
            last_seq=last,
            root=str(obj["root"]),
            head=self.last_hash,
            prev_hash=self.cp_hash,
            at=str(obj["at"]),
        )
        if hex64(obj["hash"], "hash") != digest:
            raise RuleError(Rule.HASH, "hash is not SHA-256 of the checkpoint's tag and body")
        self.pending = []
        self.cp_seq, self.cp_hash = self.cp_seq + 1, str(obj["hash"])
        self.cp_hashes.append(self.cp_hash)
        self.cp_hq, self.cp_nations, self.cp_last_sig = 0, 0, (-1, "", "")

    def _signature(self, obj: dict[str, object]) -> None:
        if obj["checkpoint"] != self.cp_seq:
            raise RuleError(Rule.ORDER, f"a signature of checkpoint {obj['checkpoint']} here")
        fp, signer, role = hex64(obj["key"], "key"), str(obj["signer"]), str(obj["role"])
        key = self.keys.get(fp)
        if key is None:
            raise RuleError(Rule.KEY, f"key {fp[:16]}… is not among the file's keys")
        if self.trusted and fp not in self.trusted:
            raise RuleError(Rule.UNTRUSTED_KEY, f"key {fp[:16]}… ({key.owner}) is not trusted")
        trusted_owner = self.trusted[fp].owner if self.trusted else None
        if signer != key.owner or role != key.role or trusted_owner not in (None, key.owner):
            raise RuleError(Rule.SIGNER, f"signer {signer}/{role} does not match key {fp[:16]}…")
        order = (0 if key.role is KeyRole.HQ else 1, signer, fp)
        if order <= self.cp_last_sig:
            raise RuleError(Rule.ORDER, "signatures must be HQ first, then by signer and key")
        check_timestamp(obj["at"])
        sig = str(obj["sig"])
        if not HEX128.match(sig):
            raise RuleError(Rule.SCHEMA, "sig must be 128 lowercase hex digits")
        message = signature_message(
            checkpoint_seq=self.cp_seq,
            checkpoint_hash=self.cp_hash,
            key=fp,
            role=key.role,
            signer=signer,
            at=str(obj["at"]),
        )
        if not signature_ok(key.public_key, message, sig):
            raise RuleError(Rule.SIGNATURE, f"{signer}'s signature of checkpoint {self.cp_seq}")
        self.cp_last_sig = order
        self.signed[fp] = self.signed.get(fp, 0) + 1
        self.signatures += 1
        if key.role is KeyRole.HQ:
            self.cp_hq += 1
        else:
            self.cp_nations += 1

    def _close_checkpoint(self) -> None:
        if self.last_kind not in ("checkpoint", "signature"):
            return
        if self.cp_hq == 0:
            raise RuleError(Rule.HQ_SIGNATURE, f"checkpoint {self.cp_seq} has no HQ signature")
        if self.cp_nations < self.min_countersignatures:
            raise RuleError(
                Rule.COUNTERSIGNATURES,
                f"checkpoint {self.cp_seq} has {self.cp_nations} countersignatures, "
                f"{self.min_countersignatures} required",
            )

    def _finish(self) -> None:
        if not self.header:
            raise RuleError(Rule.TRUNCATED, "the file is empty")
        self._close_checkpoint()
        if self.pending:
            raise RuleError(Rule.COVERAGE, f"{len(self.pending)} entries after the checkpoints")
        found = {
            "entries": self.next_seq - 1,
            "checkpoints": self.cp_seq,
            "signatures": self.signatures,
            "keys": len(self.keys),
        }
        for name, count in found.items():
            declared = self.header[name]
            if count != declared:
                short = isinstance(declared, int) and count < declared
                rule = Rule.TRUNCATED if short else Rule.COUNT
                raise RuleError(rule, f"header declares {declared} {name}, the file has {count}")
        unused = [k.owner for fp, k in self.keys.items() if fp not in self.signed]
        if unused:
            raise RuleError(Rule.KEY, f"keys of {', '.join(unused)} sign nothing")


def _check_marking(value: object) -> None:
    """``RuleError(schema)`` unless ``value`` is ``null`` or sorted distinct ``[str, str]``s."""
    try:
        check_marking(value)
    except InputError as exc:
        raise RuleError(Rule.SCHEMA, f"entry.marking: {exc}") from exc


def verify_lines(
    lines: Iterable[bytes],
    *,
    trusted: Sequence[TrustedKey] = (),
    min_countersignatures: int = 0,
) -> Verdict:
    """Verify an export given as its lines, each with its ``\\n`` (as a binary file yields).

    ``trusted``: when given, every signature must be by one of these keys (and match the
    owner the trusted record names); otherwise signatures are checked against the keys the
    file carries, which proves integrity but not who signed. ``min_countersignatures``:
    nation signatures every checkpoint needs.
    """
    verifier = Verifier(trusted=trusted, min_countersignatures=min_countersignatures)
    for raw in lines:
        if not verifier.feed(raw):
            break
    return verifier.finish()


def check_extends(previous: Verdict, current: Verdict) -> Failure | None:
    """Whether ``current`` (a verified export) extends ``previous`` (an earlier verified export
    of the same ledger) without rewriting it: same ledger, at least as many checkpoints, and
    the earlier checkpoints' hashes unchanged (each hash binds every entry before it).

    A single export cannot reveal that it is an *older* one with its tail cut off (a prefix of
    a valid ledger is valid); comparing with the last export a nation kept, or countersigned,
    does.
    """
    if previous.ledger_id != current.ledger_id:
        return Failure(None, None, Rule.LEDGER, "the two exports are of different ledgers")
    old, new = previous.checkpoint_hashes, current.checkpoint_hashes
    if len(new) < len(old):
        message = f"{len(new)} checkpoints, the previous export had {len(old)}"
        return Failure(None, None, Rule.ROLLBACK, message)
    for seq, (before, after) in enumerate(zip(old, new, strict=False), start=1):
        if before != after:
            return Failure(None, None, Rule.REWRITTEN, f"checkpoint {seq} differs from before")
    return None


def split_lines(data: bytes) -> list[bytes]:
    """Split on ``\\n`` only, keeping it (as iterating a binary file does)."""
    lines = data.split(b"\n")
    tail = lines.pop()
    kept = [line + b"\n" for line in lines]
    if tail:
        kept.append(tail)
    return kept


def verify_bytes(
    data: bytes, *, trusted: Sequence[TrustedKey] = (), min_countersignatures: int = 0
) -> Verdict:
    """Verify an export held in memory (options as for ``verify_lines``)."""
    return verify_lines(
        split_lines(data), trusted=trusted, min_countersignatures=min_countersignatures
    )


def verify_file(
    path: Path, *, trusted: Sequence[TrustedKey] = (), min_countersignatures: int = 0
) -> Verdict:
    """Verify an export file, streaming it (memory grows with one checkpoint's entries)."""
    with path.open("rb") as handle:
        return verify_lines(handle, trusted=trusted, min_countersignatures=min_countersignatures)
