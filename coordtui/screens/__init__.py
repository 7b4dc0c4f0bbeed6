"""Screens: one module (and one .tcss) each."""
