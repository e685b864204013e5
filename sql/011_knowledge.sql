-- 011_knowledge: the knowledge base (the feature plan's knowledge_articles
-- and knowledge_article_versions).  Users are referred to by username, as
-- everywhere else in salve.

-- array_to_string is only STABLE; for text[] it is immutable in fact.
CREATE FUNCTION knowledge_tags_text(text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_string($1, ' ') $$;

-- The literal start of each alertname glob ("HighCPU*" gives "HighCPU"):
-- an alert named N can only match patterns whose prefix is a prefix of N,
-- so surfacing looks candidates up in a GIN index instead of globbing
-- every article.
CREATE FUNCTION knowledge_pattern_prefixes(text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substring(p FROM '^[^*?\[]*')), '{}') FROM unnest($1) AS p $$;

CREATE TABLE knowledge_articles (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title            text NOT NULL CHECK (title <> ''),
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    content          text NOT NULL DEFAULT '',
    excerpt          text NOT NULL DEFAULT '',
    category         text NOT NULL DEFAULT 'troubleshooting'
                     CHECK (category IN ('sop', 'design_doc', 'troubleshooting', 'service_docs',
                                         'onboarding', 'postmortem')),
    tags             text[] NOT NULL DEFAULT '{}',
    parent_id        uuid REFERENCES knowledge_articles(id) ON DELETE SET NULL,
    visibility       text NOT NULL DEFAULT 'team' CHECK (visibility IN ('public', 'team', 'private')),
    related_runbooks bigint[] NOT NULL DEFAULT '{}',
    related_alerts   text[] NOT NULL DEFAULT '{}',   -- alertname patterns (globs)
    version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    author           text,
    last_editor      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    view_count       integer NOT NULL DEFAULT 0,
    helpful_count    integer NOT NULL DEFAULT 0,
    related_alert_prefixes text[] GENERATED ALWAYS AS (knowledge_pattern_prefixes(related_alerts)) STORED,
    search           tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', knowledge_tags_text(tags)), 'B') ||
        setweight(to_tsvector('english', content), 'C')) STORED
);
CREATE INDEX knowledge_articles_search_idx ON knowledge_articles USING gin (search);
CREATE INDEX knowledge_articles_tags_idx ON knowledge_articles USING gin (tags);
CREATE INDEX knowledge_articles_related_runbooks_idx ON knowledge_articles USING gin (related_runbooks);
CREATE INDEX knowledge_articles_category_idx ON knowledge_articles (category, updated_at DESC);
CREATE INDEX knowledge_articles_parent_idx ON knowledge_articles (parent_id);
CREATE INDEX knowledge_articles_alert_prefixes_idx ON knowledge_articles USING gin (related_alert_prefixes);
CREATE INDEX knowledge_articles_updated_idx ON knowledge_articles (updated_at DESC, id DESC);
CREATE INDEX knowledge_articles_title_idx ON knowledge_articles (lower(title));

-- Every save keeps a version: the whole article as it was saved (document
-- holds the editable fields, so a rollback restores all of them).
CREATE TABLE knowledge_article_versions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    article_id   uuid NOT NULL REFERENCES knowledge_articles(id) ON DELETE CASCADE,
    version      integer NOT NULL,
    title        text NOT NULL,
    content      text NOT NULL,
    editor       text,
    edit_summary text NOT NULL DEFAULT '',
    document     jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (article_id, version)
);

-- "Was this helpful?": one answer per person; helpful_count counts the yeses.
CREATE TABLE knowledge_article_votes (
    article_id uuid NOT NULL REFERENCES knowledge_articles(id) ON DELETE CASCADE,
    username   text NOT NULL,
    helpful    boolean NOT NULL,
    voted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, username)
);
