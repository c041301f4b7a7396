"""Pull-key auditor: find the AccessKeys clusters pull images with and prove they can only pull.

Modules: ``configmap`` (parse and lint ``acr-configuration``), ``identity`` (a RAM user's effective
policy documents through the RAM API, cached per run), ``keys`` (AccessKey and console hygiene),
``sources`` (where pull keys come from: config, ConfigMaps, discovery), ``plan`` (per-user or
per-policy reads, direct hygiene reads or the credential report: whichever is fewer calls),
``bypolicy`` (per-policy discovery), ``credreport`` (IMS's user credential report), ``ramapi`` and
``imsapi`` (the typed RAM and IMS reads), ``workers`` (bounded concurrency), ``clusters``,
``kubeapi`` and ``clusterfindings`` (the ConfigMap read from ACK clusters through the Kubernetes API,
and its findings), ``owners`` (which account owns a key this account does not) and ``audit`` (full
and event-driven audits that feed the policy engine in ``acrguard.policy``).
"""
