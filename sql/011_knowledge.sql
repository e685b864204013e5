-- 011_knowledge: the knowledge base (the feature plan's knowledge_articles
-- and knowledge_article_versions).  Users are referred to by username, as
-- everywhere else in salve.

-- array_to_string is only STABLE; for text[] it is immutable in fact.
CREATE FUNCTION knowledge_tags_text(text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_string($1, ' ') $$;

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

-- Every save keeps a version: the whole article as it was saved.
CREATE TABLE knowledge_article_versions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    article_id   uuid NOT NULL REFERENCES knowledge_articles(id) ON DELETE CASCADE,
    version      integer NOT NULL,
    title        text NOT NULL,
    content      text NOT NULL,
    editor       text,
    edit_summary text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (article_id, version)
);
