"""Rubric YAML files shipped with auditkit (package data of ``auditkit.rubrics``)."""
