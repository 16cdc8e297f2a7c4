"""The sections of ``leadqual demo``: each component at work on the bundled sample CRM, offline.

They sit in the command line's layer, above the components and the test doubles they use (the
offline DNS answers of the sample), so no component imports a test double.
"""
