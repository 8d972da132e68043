"""The exit codes a result (not an error) gives the command line, so a scheduler, CI or a
shell script can tell why a job did not pass. Errors have their own codes, 1-9, in
`errors.OUTCOMES`; these are the rest of the README's exit-code table."""

ALERT_FIRED = 3  # `check`, `monitor`: an alert rule fired, or is still firing
NOTEBOOK_FAILED = 10  # `monitor`, `retrain`: a cell of the notebook raised
TIMED_OUT = 11  # `monitor`, `retrain`: the notebook ran past --timeout and was killed
SKIPPED = 12  # `monitor`, `retrain`: the schedule's previous run is still going
GATE_KEPT = 13  # `gate`: the challenger is not significantly better; the champion stays
DATA_REFUSED = 14  # `check-data`: the file does not match the version's schema or profile
