"""Column order of the synthetic submission files (the bundled sample and `kyluat generate`),
as units export them: the contract fixes the names, not the order."""

from kyluat.contract import ORG_UNITS

ORG_UNIT_COLUMNS = [c.name for c in ORG_UNITS.columns]  # as the tree file (kyluat.admin_tree)
MEMBERSHIP_COLUMNS = ["unit_code", "as_of_date", "members", "party_organizations"]
MEMBER_COLUMNS = ["deciding_unit_code", "decision_ref", "member_id", "member_name",
                  "authority_type", "discipline_form", "decision_date", "member_unit_code",
                  "violation_categories", "channel", "is_committee_member", "is_probationary",
                  "activity_ref", "status", "violation_date"]
ORG_DISCIPLINE_COLUMNS = ["deciding_unit_code", "decision_ref", "target_unit_code",
                          "authority_type", "discipline_form", "decision_date",
                          "violation_categories", "channel", "activity_ref", "status"]
ACTIVITY_COLUMNS = ["conducting_unit_code", "activity_ref", "authority_type", "activity_type",
                    "subject_kind", "subject_unit_code", "start_date", "end_date",
                    "subject_member_id", "conclusion_ref", "violation_found",
                    "members_in_violation", "orgs_in_violation", "members_discipline_required",
                    "orgs_discipline_required"]
REPORT_COLUMNS = ["reporting_unit_code", "period_start", "period_end", "measure",
                  "authority_type", "subject_kind", "discipline_form", "violation_category",
                  "channel", "source_ref", "value", "value_qualifier", "scope", "as_of_date",
                  "source_title"]
GOVERNANCE_COLUMNS = ["unit_code", "year", "indicator", "rank", "score", "source_ref"]
PUBLISHED_FIGURE_COLUMNS = ["figure_id", "source_ref", "source_title", "speaker",
                            "reporting_unit_code", "period_start", "period_end", "measure",
                            "authority_type", "subject_kind", "discipline_form",
                            "violation_category", "channel", "activity_ref", "value",
                            "value_qualifier", "scope", "as_of_date", "note"]
