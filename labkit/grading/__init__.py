"""Instructor tools: release student notebooks, grade submissions."""
