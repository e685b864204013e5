/*
 * core/article_templates.c - the article templates.  Only {{date}} and
 * {{author}} are filled: the rest ([Title], {{approver}}) is for the
 * writer to replace.
 */
#include <stdlib.h>
#include <string.h>

#include "article_templates.h"
#include "buf.h"

struct article_template {
	const char *id, *name, *category, *title, *content;
};

static const struct article_template templates[] = {
	{ "sop", "Standard Operating Procedure", "sop", "SOP: [Title]",
	  "# SOP: [Title]\n\n"
	  "**Version:** 1.0\n**Last Updated:** {{date}}\n**Author:** {{author}}\n**Approver:** {{approver}}\n\n"
	  "## Purpose\n[Why does this procedure exist?]\n\n"
	  "## Scope\n[When should this SOP be used?]\n\n"
	  "## Prerequisites\n- [ ] Access to system X\n- [ ] Permission level Y\n\n"
	  "## Procedure\n\n### Step 1: [Action]\n**Expected Time:** X minutes\n\n[Detailed instructions]\n\n"
	  "```bash\n# Example command\nsystemctl status myservice\n```\n\n"
	  "**Expected Output:**\n```\nActive: active (running)\n```\n\n"
	  "**If it fails:** Go to [Troubleshooting section](#troubleshooting)\n\n"
	  "### Step 2: [Action]\n...\n\n"
	  "## Rollback Procedure\n[How to undo if something goes wrong]\n\n"
	  "## Troubleshooting\n### Common Issue 1\n**Symptom:** [What you see]\n**Cause:** [Why it happens]\n"
	  "**Solution:** [How to fix]\n\n"
	  "## Related Documents\n- [[Runbook: Service Restart]]\n- [[Design Doc: Service Architecture]]\n\n"
	  "## Change History\n| Version | Date | Author | Changes |\n|---------|------|--------|---------|\n"
	  "| 1.0 | {{date}} | {{author}} | Initial version |\n" },
	{ "design_doc", "Design Document", "design_doc", "Design Doc: [Title]",
	  "# Design Doc: [Title]\n\n**Author:** {{author}}\n**Date:** {{date}}\n**Status:** Draft\n\n"
	  "## Context\n[What problem are we solving, and why now?]\n\n"
	  "## Goals\n- [Goal]\n\n## Non-goals\n- [Out of scope]\n\n"
	  "## Proposed Design\n[Components, data flow, interfaces]\n\n"
	  "## Alternatives Considered\n[What else was weighed, and why not]\n\n"
	  "## Operational Concerns\n[Monitoring, alerts, failure modes, capacity]\n\n"
	  "## Rollout Plan\n[Phases, flags, rollback]\n\n## Open Questions\n- [Question]\n" },
	{ "adr", "Architecture Decision Record", "design_doc", "ADR: [Decision]",
	  "# ADR: [Decision]\n\n**Date:** {{date}}\n**Author:** {{author}}\n"
	  "**Status:** Proposed | Accepted | Superseded\n\n"
	  "## Context\n[The forces at play]\n\n## Decision\n[What we decided]\n\n"
	  "## Consequences\n[What becomes easier or harder]\n" },
	{ "troubleshooting", "Troubleshooting Guide", "troubleshooting", "Troubleshooting: [Symptom]",
	  "# Troubleshooting: [Symptom]\n\n**Author:** {{author}}\n**Last Updated:** {{date}}\n\n"
	  "## Symptoms\n[What alerts fire, what users see]\n\n"
	  "## Quick Checks\n1. [First thing to look at]\n2. [Second]\n\n"
	  "## Diagnosis\n```bash\n# commands that narrow it down\n```\n\n"
	  "## Common Causes and Fixes\n### [Cause]\n**Fix:** [How]\n\n"
	  "## Escalation\n[Who to call when this does not work]\n\n"
	  "## Related\n- [[Runbook: Service Restart]]\n" },
	{ "service_docs", "Service Documentation", "service_docs", "Service: [Name]",
	  "# Service: [Name]\n\n**Owner:** {{author}}\n**Last Updated:** {{date}}\n\n"
	  "## What It Does\n[One paragraph]\n\n## Architecture\n[Dependencies, data stores, queues]\n\n"
	  "## Endpoints and Ports\n| Name | Port | Purpose |\n|------|------|---------|\n| http | 8080 | API |\n\n"
	  "## Dashboards and Alerts\n- [Dashboard link]\n\n"
	  "## Deploying\n[How, and how to roll back]\n\n## On-call Notes\n[Known quirks]\n" },
	{ "onboarding", "Onboarding Checklist", "onboarding", "Onboarding: [Team or Role]",
	  "# Onboarding: [Team or Role]\n\n**Prepared by:** {{author}}\n**Date:** {{date}}\n\n"
	  "## Week 1\n- [ ] Accounts: VPN, SSO, paging\n- [ ] Read the service docs\n"
	  "- [ ] Shadow an on-call shift\n\n"
	  "## Week 2\n- [ ] Run a runbook in staging\n- [ ] Review the last three post-incident reviews\n\n"
	  "## Contacts\n| Area | Person |\n|------|--------|\n| [Area] | [Name] |\n" },
	{ "postmortem", "Post-Incident Review", "postmortem", "Postmortem: [Incident]",
	  "# Postmortem: [Incident]\n\n**Date:** {{date}}\n**Author:** {{author}}\n**Severity:** P[1-4]\n"
	  "**Duration:** [hh:mm]\n\n"
	  "## Summary\n[What happened, in two sentences]\n\n## Impact\n[Who was affected, and how]\n\n"
	  "## Timeline\n| Time | Event |\n|------|-------|\n| [hh:mm] | Alert fired |\n\n"
	  "## Root Cause\n[Why]\n\n## Contributing Factors\n- [Factor]\n\n"
	  "## What Went Well\n- [Thing]\n\n## What Went Poorly\n- [Thing]\n\n"
	  "## Action Items\n| Item | Owner | Due | Done |\n|------|-------|-----|------|\n"
	  "| [Item] | [Owner] | [Date] | [ ] |\n" },
};

static char *fill(const char *text, const char *author, const char *date)
{
	struct buf b = { 0 };
	const char *p = text, *open;

	while ((open = strstr(p, "{{")) != NULL) {
		buf_append(&b, p, (size_t)(open - p));
		if (strncmp(open, "{{date}}", 8) == 0) {
			buf_puts(&b, date);
			p = open + 8;
		} else if (strncmp(open, "{{author}}", 10) == 0) {
			buf_puts(&b, author);
			p = open + 10;
		} else {
			buf_puts(&b, "{{");
			p = open + 2;
		}
	}
	buf_puts(&b, p);
	return buf_steal(&b);
}

json_t *article_templates(const char *author, const char *date)
{
	json_t *list = json_array();

	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
		const struct article_template *t = &templates[i];
		char *content = fill(t->content, author, date);
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", t->id, "name", t->name,
						      "category", t->category, "title", t->title, "content",
						      content));
		free(content);
	}
	return list;
}
