"""Runs at the start of every Python process Whittle starts (resources/python is first on PYTHONPATH): installs the
guard that refuses code shipped inside model folders (whittle_jobs/guard.py) before any job or library code runs."""
from whittle_jobs import guard

guard.install()
