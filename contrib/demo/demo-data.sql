-- contrib/demo/demo-data.sql - sixty days of believable alert history for demos.
--
--   psql -v ON_ERROR_STOP=1 -f contrib/demo/demo-data.sql "host=... dbname=salve"
--
-- Needs a database migrated with sql/001_init.sql. Loads about three thousand
-- alerts with source = 'demo' for seven services: mostly resolved episodes of
-- a few minutes to a few hours, and a handful still firing.
--
-- Nothing is random: every choice comes from md5 of the series and slot
-- numbers, so two loads give the same rows. Times are offsets from an anchor:
-- now() at the first load, and on later loads the anchor the existing demo
-- rows imply. A second load therefore inserts nothing
-- (ON CONFLICT (source, fingerprint, starts_at) DO NOTHING), and the history
-- keeps the age it had when it was first loaded. To refresh it:
--   DELETE FROM alerts WHERE source = 'demo';
--
-- Model: an alert kind (service, alertname, severity, instances) has one
-- series per instance, with the label set and so the fingerprint of that
-- instance. Each series cuts the sixty days into slots of gap_h hours; a slot
-- holds at most one episode (with probability p) that starts in the slot's
-- first 40 % and lasts between dur_min and dur_max minutes (log-uniform,
-- capped at 55 % of the slot), so episodes of one fingerprint never overlap
-- and all of them are over before the anchor.

BEGIN;

-- A number in [0, 1) from md5(salt:n): deterministic, well spread.
CREATE FUNCTION pg_temp.demo_rnd(n bigint, salt text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT ('x' || substr(md5(salt || ':' || n), 1, 13))::bit(52)::bigint
           / 4503599627370496.0::double precision
$$;

-- One element of an array, chosen by r in [0, 1).
CREATE FUNCTION pg_temp.demo_pick(a text[], r double precision) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT a[1 + floor(r * cardinality(a))::int]
$$;

CREATE TEMP TABLE demo_kind (
    kind       text PRIMARY KEY,
    service    text NOT NULL,
    namespace  text NOT NULL,
    job        text NOT NULL,
    alertname  text NOT NULL,
    severity   text NOT NULL,
    instances  text[] NOT NULL,
    extra      jsonb NOT NULL,          -- more labels, same for every series
    gap_h      int NOT NULL,            -- slot length, hours
    p          double precision NOT NULL,
    dur_min    int NOT NULL,            -- minutes
    dur_max    int NOT NULL,
    v_lo       double precision NOT NULL,  -- range of the value quoted in the text
    v_hi       double precision NOT NULL,
    summary    text NOT NULL,           -- {instance} {pod} {service} {value} {extra}
    descr      text NOT NULL,
    runbook    text NOT NULL
) ON COMMIT DROP;

INSERT INTO demo_kind VALUES
-- checkout
('checkout-latency', 'checkout', 'shop', 'checkout', 'HighRequestLatency', 'warning',
 '{checkout-7d9f8b6c4-x2kq9:8080,checkout-7d9f8b6c4-m4zt7:8080,checkout-7d9f8b6c4-p8wvn:8080}',
 '{"route": "/api/cart/checkout"}', 8, 0.70, 5, 90, 1.2, 4.8,
 'High p99 latency on checkout ({instance})',
 'p99 latency of POST /api/cart/checkout on {instance} is {value}s (threshold 1s) for more than 5 minutes.',
 'https://runbooks.example.com/checkout/high-request-latency'),
('checkout-5xx', 'checkout', 'shop', 'checkout', 'HTTP5xxRateHigh', 'critical',
 '{checkout-7d9f8b6c4-x2kq9:8080,checkout-7d9f8b6c4-m4zt7:8080,checkout-7d9f8b6c4-p8wvn:8080}',
 '{}', 24, 0.40, 3, 45, 5, 38,
 'checkout is answering 5xx on {instance}',
 '{value}% of requests to checkout on {instance} failed with a 5xx over the last 5 minutes (threshold 5%).',
 'https://runbooks.example.com/checkout/http-5xx-rate-high'),
('checkout-crashloop', 'checkout', 'shop', 'kube-state-metrics', 'KubePodCrashLooping', 'warning',
 '{checkout-7d9f8b6c4-x2kq9:8080,checkout-7d9f8b6c4-m4zt7:8080,checkout-7d9f8b6c4-p8wvn:8080}',
 '{"container": "checkout"}', 72, 0.50, 10, 120, 3, 14,
 'Pod shop/{pod} is crash looping',
 'Container checkout of pod {pod} restarted {value} times in the last 15 minutes (last state: OOMKilled or Error).',
 'https://runbooks.example.com/kubernetes/kube-pod-crash-looping'),
('checkout-memory', 'checkout', 'shop', 'checkout', 'HighMemoryUsage', 'warning',
 '{checkout-7d9f8b6c4-x2kq9:8080,checkout-7d9f8b6c4-m4zt7:8080,checkout-7d9f8b6c4-p8wvn:8080}',
 '{}', 24, 0.30, 15, 180, 86, 97,
 'checkout on {instance} uses {value}% of its memory limit',
 'Working set of the checkout container on {instance} is at {value}% of its 1Gi limit; the next step is an OOM kill.',
 'https://runbooks.example.com/generic/high-memory-usage'),
('checkout-cpu', 'checkout', 'shop', 'kubelet', 'CPUThrottlingHigh', 'warning',
 '{checkout-7d9f8b6c4-x2kq9:8080,checkout-7d9f8b6c4-m4zt7:8080,checkout-7d9f8b6c4-p8wvn:8080}',
 '{"container": "checkout"}', 12, 0.40, 15, 120, 26, 71,
 'CPU of checkout on {instance} is throttled {value}% of the time',
 '{value}% of CFS periods of container checkout on {instance} were throttled over the last 15 minutes; its CPU limit is too low for the load.',
 'https://runbooks.example.com/kubernetes/cpu-throttling-high'),
-- payments
('payments-5xx', 'payments', 'payments', 'payments-api', 'HTTP5xxRateHigh', 'critical',
 '{payments-api-5c6d9f7b8-h2j4k:8443,payments-api-5c6d9f7b8-r7t9w:8443}',
 '{}', 16, 0.50, 3, 60, 5, 61,
 'payments-api is answering 5xx on {instance}',
 '{value}% of requests to payments-api on {instance} failed with a 5xx over the last 5 minutes (threshold 5%). Card authorisations are affected.',
 'https://runbooks.example.com/payments/http-5xx-rate-high'),
('payments-latency', 'payments', 'payments', 'payments-api', 'HighRequestLatency', 'warning',
 '{payments-api-5c6d9f7b8-h2j4k:8443,payments-api-5c6d9f7b8-r7t9w:8443}',
 '{"route": "/v2/authorize"}', 6, 0.60, 5, 75, 0.9, 3.5,
 'High p99 latency on payments-api ({instance})',
 'p99 latency of POST /v2/authorize on {instance} is {value}s (threshold 0.8s); the card processor is usually the slow hop.',
 'https://runbooks.example.com/payments/high-request-latency'),
('payments-cert', 'payments', 'payments', 'blackbox', 'CertificateExpiringSoon', 'warning',
 '{payments.example.com:443}',
 '{"probe": "https"}', 240, 1.00, 1440, 4320, 6, 13,
 'TLS certificate of {instance} expires in {value} days',
 'The certificate served on {instance} expires in {value} days; cert-manager should have renewed it at 30 days.',
 'https://runbooks.example.com/tls/certificate-expiring-soon'),
-- search
('search-latency', 'search', 'search', 'search-api', 'HighRequestLatency', 'warning',
 '{search-api-6b7c8d9f5-k3l4m:8080,search-api-6b7c8d9f5-v8b2n:8080}',
 '{"route": "/search"}', 4, 0.55, 5, 60, 0.6, 2.9,
 'High p99 latency on search-api ({instance})',
 'p99 latency of GET /search on {instance} is {value}s (threshold 0.5s). Check Elasticsearch heap and merges.',
 'https://runbooks.example.com/search/high-request-latency'),
('search-memory', 'search', 'search', 'node-exporter', 'HighMemoryUsage', 'warning',
 '{search-es-0.prod:9100,search-es-1.prod:9100,search-es-2.prod:9100}',
 '{}', 12, 0.55, 15, 240, 88, 98,
 'Memory usage on {instance} is {value}%',
 'Node {instance} has {value}% of its memory in use for more than 15 minutes; Elasticsearch field data is the usual suspect.',
 'https://runbooks.example.com/generic/high-memory-usage'),
('search-disk', 'search', 'search', 'node-exporter', 'NodeFilesystemAlmostFull', 'warning',
 '{search-es-0.prod:9100,search-es-1.prod:9100,search-es-2.prod:9100}',
 '{"mountpoint": "/var/lib/elasticsearch", "device": "/dev/nvme1n1"}', 48, 0.50, 60, 720, 8, 15,
 'Filesystem /var/lib/elasticsearch on {instance} has {value}% left',
 'Only {value}% of /var/lib/elasticsearch on {instance} is free; Elasticsearch stops allocating shards at the 85% watermark.',
 'https://runbooks.example.com/node/filesystem-almost-full'),
('search-5xx', 'search', 'search', 'search-api', 'HTTP5xxRateHigh', 'critical',
 '{search-api-6b7c8d9f5-k3l4m:8080,search-api-6b7c8d9f5-v8b2n:8080}',
 '{}', 24, 0.35, 3, 40, 5, 33,
 'search-api is answering 5xx on {instance}',
 '{value}% of requests to search-api on {instance} failed with a 5xx over the last 5 minutes (threshold 5%).',
 'https://runbooks.example.com/search/http-5xx-rate-high'),
-- auth
('auth-5xx', 'auth', 'identity', 'auth-service', 'HTTP5xxRateHigh', 'critical',
 '{auth-6f8d7c9b4-q9w8e:8080,auth-6f8d7c9b4-z1x2c:8080}',
 '{}', 36, 0.40, 3, 40, 5, 45,
 'auth-service is answering 5xx on {instance}',
 '{value}% of token requests on {instance} failed with a 5xx; logins fail for that share of users.',
 'https://runbooks.example.com/auth/http-5xx-rate-high'),
('auth-down', 'auth', 'identity', 'auth-service', 'TargetDown', 'critical',
 '{auth-6f8d7c9b4-q9w8e:8080,auth-6f8d7c9b4-z1x2c:8080}',
 '{}', 72, 0.50, 2, 20, 100, 100,
 'Prometheus cannot scrape {instance}',
 'Target {instance} of job auth-service has been down for more than 2 minutes.',
 'https://runbooks.example.com/generic/target-down'),
('auth-crashloop', 'auth', 'identity', 'kube-state-metrics', 'KubePodCrashLooping', 'warning',
 '{auth-6f8d7c9b4-q9w8e:8080,auth-6f8d7c9b4-z1x2c:8080}',
 '{"container": "auth"}', 48, 0.40, 10, 90, 3, 11,
 'Pod identity/{pod} is crash looping',
 'Container auth of pod {pod} restarted {value} times in the last 15 minutes.',
 'https://runbooks.example.com/kubernetes/kube-pod-crash-looping'),
('auth-latency', 'auth', 'identity', 'auth-service', 'HighRequestLatency', 'warning',
 '{auth-6f8d7c9b4-q9w8e:8080,auth-6f8d7c9b4-z1x2c:8080}',
 '{"route": "/oauth/token"}', 12, 0.45, 5, 60, 0.6, 2.4,
 'High p99 latency on auth-service ({instance})',
 'p99 latency of POST /oauth/token on {instance} is {value}s (threshold 0.5s); logins feel slow.',
 'https://runbooks.example.com/auth/high-request-latency'),
-- postgres-primary
('pg-replag', 'postgres-primary', 'databases', 'postgres-exporter', 'PostgresReplicationLagHigh', 'warning',
 '{db-2.prod:9187,db-3.prod:9187}',
 '{"cluster": "main"}', 12, 0.50, 3, 60, 35, 900,
 'Replica {instance} is {value}s behind the primary',
 'Replay lag of {instance} behind db-1.prod is {value}s (threshold 30s). Reads from this replica are stale.',
 'https://runbooks.example.com/postgres/replication-lag-high'),
('pg-disk', 'postgres-primary', 'databases', 'node-exporter', 'NodeFilesystemAlmostFull', 'critical',
 '{db-1.prod:9100}',
 '{"mountpoint": "/var/lib/postgresql", "device": "/dev/nvme0n1p1"}', 96, 0.60, 120, 1440, 3, 9,
 'Filesystem /var/lib/postgresql on {instance} has {value}% left',
 'Only {value}% of /var/lib/postgresql on {instance} is free. WAL retention for a stuck replication slot is the usual cause.',
 'https://runbooks.example.com/node/filesystem-almost-full'),
('pg-memory', 'postgres-primary', 'databases', 'node-exporter', 'HighMemoryUsage', 'warning',
 '{db-1.prod:9100}',
 '{}', 24, 0.30, 15, 120, 90, 97,
 'Memory usage on {instance} is {value}%',
 'Node {instance} has {value}% of its memory in use; look for sessions with large work_mem sorts.',
 'https://runbooks.example.com/generic/high-memory-usage'),
('pg-connections', 'postgres-primary', 'databases', 'postgres-exporter', 'PostgresTooManyConnections', 'warning',
 '{db-1.prod:9187}',
 '{"cluster": "main"}', 24, 0.35, 5, 40, 82, 98,
 '{instance} uses {value}% of max_connections',
 '{value}% of max_connections on {instance} are in use; new connections will be refused at 100%.',
 'https://runbooks.example.com/postgres/too-many-connections'),
-- kafka
('kafka-lag', 'kafka', 'streaming', 'kafka-exporter', 'KafkaConsumerLagHigh', 'warning',
 '{kafka-exporter-5f7b9c8d6-t4y6u:9308}',
 '{}', 6, 0.55, 5, 120, 15000, 420000,
 'Consumer group {extra} is {value} messages behind',
 'Consumer group {extra} lags {value} messages behind on its topic (threshold 10000) and the lag is growing.',
 'https://runbooks.example.com/kafka/consumer-lag-high'),
('kafka-down', 'kafka', 'streaming', 'kafka-jmx', 'TargetDown', 'critical',
 '{kafka-0.prod:7071,kafka-1.prod:7071,kafka-2.prod:7071}',
 '{}', 120, 0.50, 2, 30, 100, 100,
 'Prometheus cannot scrape {instance}',
 'Target {instance} of job kafka-jmx has been down for more than 2 minutes; check the broker before the exporter.',
 'https://runbooks.example.com/generic/target-down'),
('kafka-disk', 'kafka', 'streaming', 'node-exporter', 'NodeFilesystemAlmostFull', 'warning',
 '{kafka-0.prod:9100,kafka-1.prod:9100,kafka-2.prod:9100}',
 '{"mountpoint": "/var/lib/kafka", "device": "/dev/nvme1n1"}', 72, 0.50, 60, 600, 7, 15,
 'Filesystem /var/lib/kafka on {instance} has {value}% left',
 'Only {value}% of /var/lib/kafka on {instance} is free; check retention of the largest topics.',
 'https://runbooks.example.com/node/filesystem-almost-full'),
('kafka-urp', 'kafka', 'streaming', 'kafka-jmx', 'KafkaUnderReplicatedPartitions', 'warning',
 '{kafka-0.prod:7071,kafka-1.prod:7071,kafka-2.prod:7071}',
 '{}', 24, 0.35, 5, 60, 1, 48,
 '{instance} has {value} under-replicated partitions',
 'Broker {instance} reports {value} under-replicated partitions; a follower is slow or offline.',
 'https://runbooks.example.com/kafka/under-replicated-partitions'),
-- ingress
('ingress-5xx', 'ingress', 'ingress-nginx', 'ingress-nginx', 'HTTP5xxRateHigh', 'critical',
 '{ingress-nginx-controller-7b8c9d6f5-f5g6h:10254,ingress-nginx-controller-7b8c9d6f5-w2e3r:10254}',
 '{}', 24, 0.40, 3, 45, 5, 27,
 'Ingress {instance} is answering 5xx',
 '{value}% of requests through {instance} ended in a 5xx over the last 5 minutes (threshold 5%); see which upstream answers 502/504.',
 'https://runbooks.example.com/ingress/http-5xx-rate-high'),
('ingress-latency', 'ingress', 'ingress-nginx', 'ingress-nginx', 'HighRequestLatency', 'warning',
 '{ingress-nginx-controller-7b8c9d6f5-f5g6h:10254,ingress-nginx-controller-7b8c9d6f5-w2e3r:10254}',
 '{}', 8, 0.60, 5, 60, 1.1, 3.8,
 'High p99 latency through ingress {instance}',
 'p99 upstream response time through {instance} is {value}s (threshold 1s).',
 'https://runbooks.example.com/ingress/high-request-latency'),
('ingress-cert', 'ingress', 'ingress-nginx', 'blackbox', 'CertificateExpiringSoon', 'warning',
 '{shop.example.com:443,api.example.com:443}',
 '{"probe": "https"}', 336, 0.80, 1440, 5760, 5, 14,
 'TLS certificate of {instance} expires in {value} days',
 'The certificate served on {instance} expires in {value} days; cert-manager should have renewed it at 30 days.',
 'https://runbooks.example.com/tls/certificate-expiring-soon');

-- Kafka lag is per consumer group: one series per group, on the one exporter.
CREATE TEMP TABLE demo_series ON COMMIT DROP AS
SELECT k.*, s.instance, s.labels,
       substr(md5(s.labels::text), 1, 16) AS fingerprint
FROM demo_kind k
CROSS JOIN LATERAL (
    SELECT i.instance,
           jsonb_build_object('alertname', k.alertname, 'severity', k.severity,
                              'service', k.service, 'instance', i.instance,
                              'job', k.job, 'namespace', k.namespace)
           || k.extra
           || CASE WHEN g.grp IS NULL THEN '{}'::jsonb
                   ELSE jsonb_build_object('consumergroup', g.grp) END
           -- a Kubernetes pod ("name-<replicaset>-<id>:port") is also a pod label
           || CASE WHEN i.instance ~ '^[a-z0-9-]+-[a-z0-9]{9,10}-[a-z0-9]{5}:[0-9]+$'
                   THEN jsonb_build_object('pod', split_part(i.instance, ':', 1))
                   ELSE '{}'::jsonb END AS labels
    FROM unnest(k.instances) AS i(instance)
    CROSS JOIN unnest(CASE WHEN k.kind = 'kafka-lag'
                           THEN '{order-events,payment-events,search-indexer}'::text[]
                           ELSE '{NULL}'::text[] END) AS g(grp)
) s;

-- Alerts still firing: the series, how long ago it started (minutes) and who,
-- if anyone, acknowledged it.
CREATE TEMP TABLE demo_firing (kind text, instance text, grp text, ago_min int, acked_by text)
ON COMMIT DROP;
INSERT INTO demo_firing VALUES
    ('checkout-latency', 'checkout-7d9f8b6c4-m4zt7:8080', NULL, 12, NULL),
    ('payments-5xx', 'payments-api-5c6d9f7b8-r7t9w:8443', NULL, 4, NULL),
    ('kafka-lag', 'kafka-exporter-5f7b9c8d6-t4y6u:9308', 'search-indexer', 47, 'chen'),
    ('pg-replag', 'db-3.prod:9187', NULL, 22, NULL),
    ('search-disk', 'search-es-1.prod:9100', NULL, 185, 'dana'),
    ('ingress-cert', 'api.example.com:443', NULL, 2880, 'alice'),
    ('auth-crashloop', 'auth-6f8d7c9b4-z1x2c:8080', NULL, 8, NULL);

-- Every row as an offset (whole seconds) before the anchor.
CREATE TEMP TABLE demo_rows ON COMMIT DROP AS
WITH slots AS (
    SELECT s.*, slot,
           pg_temp.demo_rnd(slot, s.fingerprint || ':p') AS r_p,
           pg_temp.demo_rnd(slot, s.fingerprint || ':pos') AS r_pos,
           pg_temp.demo_rnd(slot, s.fingerprint || ':dur') AS r_dur,
           pg_temp.demo_rnd(slot, s.fingerprint || ':val') AS r_val,
           pg_temp.demo_rnd(slot, s.fingerprint || ':ack') AS r_ack,
           f.kind IS NOT NULL AS has_firing
    FROM demo_series s
    LEFT JOIN demo_firing f
           ON f.kind = s.kind AND f.instance = s.instance
          AND f.grp IS NOT DISTINCT FROM s.labels->>'consumergroup'
    CROSS JOIN generate_series(0, (60 * 24) / s.gap_h) AS slot
),
episodes AS (
    SELECT *,
           -- slot covers [anchor - (slot+1)*gap, anchor - slot*gap]
           ((slot + 1) * gap_h * 3600 - floor(r_pos * 0.4 * gap_h * 3600))::bigint AS start_off,
           least(floor(60 * dur_min * power(dur_max::double precision / dur_min, r_dur)),
                 floor(0.55 * gap_h * 3600))::bigint AS dur_s
    FROM slots
    WHERE r_p < p
      AND NOT (has_firing AND slot = 0)   -- leave room for the firing episode
)
SELECT kind, fingerprint, labels, service, severity, instance, summary, descr, runbook,
       v_lo + r_val * (v_hi - v_lo) AS value,
       start_off, dur_s,
       CASE WHEN severity = 'critical' AND r_ack < 0.7
              OR severity <> 'critical' AND r_ack < 0.25
            THEN pg_temp.demo_pick('{alice,bob,chen,dana,erik}', pg_temp.demo_rnd(slot, fingerprint || ':who'))
       END AS acked_by,
       (60 + floor(pg_temp.demo_rnd(slot, fingerprint || ':ackt') * 840))::bigint AS ack_after_s
FROM episodes
UNION ALL
SELECT s.kind, s.fingerprint, s.labels, s.service, s.severity, s.instance, s.summary,
       s.descr, s.runbook,
       s.v_lo + pg_temp.demo_rnd(0, s.fingerprint || ':firing') * (s.v_hi - s.v_lo),
       f.ago_min * 60 + 17, NULL, f.acked_by, least(f.ago_min * 60 / 2, 900)
FROM demo_firing f
JOIN demo_series s
  ON s.kind = f.kind AND s.instance = f.instance
 AND f.grp IS NOT DISTINCT FROM s.labels->>'consumergroup';

-- now() at the first load; later, what the rows already there imply.
CREATE TEMP TABLE demo_anchor ON COMMIT DROP AS
SELECT coalesce(
           (SELECT max(starts_at) FROM alerts WHERE source = 'demo')
               + make_interval(secs => (SELECT min(start_off) FROM demo_rows)),
           date_trunc('second', now())) AS at;

INSERT INTO alerts (source, fingerprint, alert_name, severity, instance, status,
                    labels, annotations, starts_at, ends_at, generator_url,
                    acknowledged_by, acknowledged_at, received_at, last_seen_at,
                    notification_count)
SELECT 'demo', r.fingerprint, r.labels->>'alertname', r.severity, r.instance,
       CASE WHEN r.dur_s IS NULL THEN 'firing' ELSE 'resolved' END,
       r.labels,
       jsonb_build_object(
           'summary', replace(replace(replace(replace(replace(r.summary,
               '{instance}', r.instance), '{pod}', coalesce(r.labels->>'pod', r.instance)),
               '{service}', r.service), '{value}', v.txt),
               '{extra}', coalesce(r.labels->>'consumergroup', '')),
           'description', replace(replace(replace(replace(replace(r.descr,
               '{instance}', r.instance), '{pod}', coalesce(r.labels->>'pod', r.instance)),
               '{service}', r.service), '{value}', v.txt),
               '{extra}', coalesce(r.labels->>'consumergroup', '')),
           'runbook_url', r.runbook),
       t.starts_at,
       t.ends_at,
       'http://prometheus-0.monitoring.svc:9090/graph?g0.expr=ALERTS%7Balertname%3D%22'
           || (r.labels->>'alertname') || '%22%7D&g0.tab=1',
       r.acked_by,
       CASE WHEN r.acked_by IS NOT NULL
            THEN t.starts_at + make_interval(secs => least(r.ack_after_s, coalesce(r.dur_s, r.ack_after_s)))
       END,
       t.starts_at + interval '45 seconds',
       coalesce(t.ends_at + interval '40 seconds', d.at - interval '2 minutes'),
       -- a repeat notification every 4 hours, and one for the resolution
       1 + (coalesce(r.dur_s, extract(epoch FROM d.at - t.starts_at)::bigint) / 14400)::int
         + CASE WHEN r.dur_s IS NULL THEN 0 ELSE 1 END
FROM demo_rows r
CROSS JOIN demo_anchor d
CROSS JOIN LATERAL (
    SELECT d.at - make_interval(secs => r.start_off) AS starts_at,
           d.at - make_interval(secs => r.start_off) + make_interval(secs => r.dur_s) AS ends_at
) t
CROSS JOIN LATERAL (
    -- counts and days are whole, seconds get two decimals, percentages one
    SELECT CASE WHEN r.value >= 100
                  OR r.labels->>'alertname' IN ('KubePodCrashLooping', 'CertificateExpiringSoon',
                                                'KafkaUnderReplicatedPartitions')
                THEN round(r.value)::bigint::text
                WHEN r.labels->>'alertname' = 'HighRequestLatency'
                THEN round(r.value::numeric, 2)::text
                ELSE round(r.value::numeric, 1)::text END AS txt
) v
ON CONFLICT (source, fingerprint, starts_at) DO NOTHING;

COMMIT;
