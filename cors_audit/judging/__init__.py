"""Stage 5, judging: what the replies mean. Takes a target's exchanges and its effective policy;
gives findings (``rules``), the summary of what the server does (``observed``) and the score and
grade (``scoring``). Every browser verdict comes from the browser model.
"""
