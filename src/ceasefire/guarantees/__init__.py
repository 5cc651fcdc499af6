"""Guarantees as code: instruments, entry into force, triggers, obligations, commission cases.

Pure domain (no store, no CLI, no wall clock). Start with ``loader.load_instruments``,
``evaluate.TriggerEvaluator`` / ``evaluate.replay``, ``obligations.obligations_for`` and
``alerts.explain``; ``docs/guarantees.md`` describes the file format and the semantics.
"""
