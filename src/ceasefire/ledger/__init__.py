"""The record: a SHA-256 hash chain of fact-changing events, Merkle checkpoints signed by the
HQ and countersigned by nations (Ed25519), and an export any nation verifies offline.

Domain code depends on ``ports.LedgerSink`` and ``model.LedgerEvent``; services are in
``service``; the file format and its verifier in ``export`` and ``verify`` (spec:
``docs/ledger.md``). Nothing here imports a database or a CLI.
"""
