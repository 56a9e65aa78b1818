"""`clustr-etl evaluate`: the mined rules scored as basket-completion recommendations on held-out days.

``split`` (temporal split through the mining selection), ``cases`` (one case per hidden item),
``recommenders`` (rules, popularity, co-occurrence, random, rules+popularity, per group), ``ranking``
(top-k lists), ``metrics`` (HR, MRR, NDCG, coverage), ``bootstrap`` (seeded 95 % intervals over test
baskets), ``evaluate`` (the whole run), ``store`` (JSON and ``rule_evaluations``), ``table`` (Rich).
"""
