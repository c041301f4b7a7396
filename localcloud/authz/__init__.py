"""RAM authorization of the local cloud: its own policy evaluator, the action table and the refusals.

``policy`` and ``conditions`` are the policy language (documents in, a decision out, no state);
``actions`` maps every emulated API to its RAM action and resource ARNs; ``refusals`` shapes the
answer each product gives a refused call; ``trust`` decides who may assume a role; ``authorizer``
puts them together for a request: the caller's policies from the RAM state, the request's action,
resources and condition keys, the decision. Nothing here imports ``acrguard``: a witness that
reasoned like the product could not catch its mistakes.
"""
