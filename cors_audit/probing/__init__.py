"""Stage 3, probing: who the probes claim to be and which requests to send. Takes a target and its
effective policy; gives the probe origins (``origins``: attacker, look-alike, first-party
discovery candidates) and the requests of each round (``planner``), deciding from the replies in
hand (through the browser model) what is still undecided.
"""
