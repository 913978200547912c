"""Stage 4, sending: the requests on the wire. Takes planned `Probe` requests; gives `Exchange`
records (request as sent, raw reply as received, or the failure with its reason) under the
concurrency, rate, scope, redirect and budget limits.
"""
