"""The report's words in Vietnamese and English, and numbers written the way each reads them."""

from __future__ import annotations

import functools

import pandas as pd
from babel import Locale
from babel.numbers import NumberPattern, parse_pattern

LANGUAGES = ("vi", "en")
BABEL_LOCALES = {"vi": "vi_VN", "en": "en_US"}
# d3-format has no Vietnamese locale: Vietnamese groups thousands with "." and writes "," for
# the decimal mark, as babel's vi_VN does.
CHART_LOCALES = {"vi": {"decimal": ",", "thousands": ".", "grouping": [3],
                        "currency": ["", " ₫"]},
                 "en": {"decimal": ".", "thousands": ",", "grouping": [3],
                        "currency": ["$", ""]}}

TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("Báo cáo kỷ luật đảng và công tác kiểm tra",
                     "Party discipline and inspection report"),
    "nation": ("Toàn quốc", "Nation"),
    "other_language": ("English", "Tiếng Việt"),
    "provinces": ("Các tỉnh, thành", "Provinces"),
    "c_provinces": ("Đảng viên bị kỷ luật theo tỉnh, thành và năm",
                    "Members disciplined per province and year"),
    "province_pages": ("Trang của từng tỉnh: kyluat report --province MÃ (hoặc all).",
                       "A province's own page: kyluat report --province CODE (or all)."),
    "synthetic_note": ("Số liệu lấy từ tệp đã công bố; mọi con số đếm từ hồ sơ từng quyết định.",
                       "Figures come from the published file, counted from the individual "
                       "decisions."),
    "structure_note": ("Trừ khi ghi khác, đơn vị được tính theo cơ cấu tổ chức tại ngày quyết "
                       "định; biểu đồ thứ hai cho thấy cả cơ cấu hiện nay (sau sắp xếp 2025).",
                       "Unless said otherwise, units are counted as the tree was on each "
                       "decision date; the second chart also shows today's structure (after "
                       "the 2025 reorganisation)."),
    "source": ("Nguồn", "Source"),
    "run": ("lần chạy", "run"),
    "table": ("bảng", "table"),
    "period": ("Giai đoạn", "Period"),
    "unit_people": ("đảng viên", "members"),
    "unit_orgs": ("tổ chức đảng", "party organisations"),
    "unit_files": ("tệp", "files"),
    "unit_rows": ("dòng", "rows"),
    "unit_rank": ("thứ hạng (1 là tốt nhất)", "rank (1 is best)"),
    "unit_per_1000": ("trên 1.000 đảng viên", "per 1,000 members"),
    "year": ("Năm", "Year"),
    "level": ("Cấp quyết định", "Level of the deciding body"),
    "members_disciplined": ("Đảng viên bị kỷ luật", "Members disciplined"),
    "orgs_disciplined": ("Tổ chức đảng bị kỷ luật", "Organisations disciplined"),
    "members_in_unit": ("Số đảng viên", "Party members"),
    "per_1000": ("Trên 1.000 đảng viên", "Per 1,000 members"),
    "total": ("Tổng", "Total"),
    "none": ("Không có số liệu.", "No data."),
    # sections
    "s_year": ("Kỷ luật theo năm và cấp quyết định", "Discipline per year and level"),
    "c_year_level": ("Đảng viên bị kỷ luật theo năm, theo cấp của cơ quan quyết định",
                     "Members disciplined per year, by level of the deciding body"),
    "c_structure": ("Đảng viên bị kỷ luật theo năm: theo cơ cấu tại ngày quyết định và theo "
                    "cơ cấu hiện nay", "Members disciplined per year: as the tree was on the "
                    "decision date and under today's structure"),
    "structure": ("Cơ cấu", "Structure"),
    "as_of": ("Tại ngày quyết định", "As of the decision date"),
    "current": ("Cơ cấu hiện nay (sau sắp xếp 2025)", "Today's structure (after the 2025 "
                "reorganisation)"),
    "current_note": ("Cơ cấu hiện nay: đơn vị {unit} mang số liệu của {scope}.",
                     "Today's structure: {unit} carries the figures of {scope}."),
    "s_breakdown": ("Theo hình thức, thẩm quyền và con đường phát hiện",
                    "By form, authority and channel"),
    "c_breakdown": ("Đảng viên bị kỷ luật theo hình thức, thẩm quyền và con đường phát hiện",
                    "Members disciplined by form, authority and channel"),
    "dimension": ("Phân loại", "Breakdown"),
    "category": ("Nhóm", "Category"),
    "form": ("Hình thức kỷ luật", "Form of discipline"),
    "authority": ("Thẩm quyền", "Authority"),
    "channel": ("Qua công tác", "Channel"),
    "s_violation": ("Nội dung vi phạm", "Violation categories"),
    "c_violation": ("Đảng viên bị kỷ luật theo nội dung vi phạm",
                    "Members disciplined by violation category"),
    "violation_note": ("Một quyết định có nhiều nội dung vi phạm được tính một lần ở mỗi nội "
                       "dung: tổng các nhóm lớn hơn tổng số.",
                       "A decision with several categories counts once in each of them: the "
                       "categories add up to more than the total."),
    "violation_category": ("Nội dung vi phạm", "Violation category"),
    "s_funnel": ("Từ kiểm tra, giám sát đến kỷ luật", "From inspection to discipline"),
    "c_funnel": ("Đảng viên được kiểm tra, giám sát, có vi phạm, phải kỷ luật, đã kỷ luật",
                 "Members inspected, found in violation, discipline required, disciplined"),
    "stage": ("Bước", "Stage"),
    "inspected": ("Được kiểm tra, giám sát", "Inspected or supervised"),
    "violation_found": ("Có vi phạm", "Found in violation"),
    "discipline_required": ("Phải thi hành kỷ luật", "Discipline required"),
    "disciplined": ("Đã thi hành kỷ luật", "Disciplined"),
    "s_term": ("Theo nhiệm kỳ", "By party term"),
    "c_term": ("Đảng viên bị kỷ luật, nhiệm kỳ 2015-2020 và 2020-2025",
               "Members disciplined, terms 2015-2020 and 2020-2025"),
    "term": ("Nhiệm kỳ", "Term"),
    "s_governance": ("Chỉ số quản trị bên cạnh số liệu kỷ luật",
                     "Governance indices beside discipline"),
    "c_governance": ("Thứ hạng PAR Index, SIPAS, PAPI, PCI",
                     "PAR Index, SIPAS, PAPI and PCI ranks"),
    "indicator": ("Chỉ số", "Index"),
    "rank": ("Thứ hạng", "Rank"),
    "province": ("Tỉnh, thành", "Province"),
    "s_reconciliation": ("Đối chiếu số liệu đã công bố với hồ sơ",
                         "Published figures against the records"),
    "c_reconciliation": ("Số đã công bố và số đếm từ hồ sơ",
                         "Published figures and the values counted from the records"),
    "figure": ("Chỉ tiêu", "Figure"),
    "reporting_unit": ("Đơn vị", "Unit"),
    "origin": ("Loại", "Origin"),
    "published": ("Đã công bố", "Published"),
    "submitted": ("Báo cáo tổng hợp", "Aggregate report"),
    "published_value": ("Số công bố", "Published value"),
    "computed_value": ("Số từ hồ sơ", "Computed value"),
    "status": ("Kết quả", "Status"),
    "explanation": ("Giải thích", "Explanation"),
    "match": ("Khớp", "Match"),
    "consistent": ("Phù hợp", "Consistent"),
    "mismatch": ("Lệch", "Mismatch"),
    "not_computable": ("Không tính được", "Not computable"),
    "explain_match": ("Hồ sơ cho đúng số đã công bố.", "The records give the published value."),
    "explain_consistent": ("Hồ sơ phù hợp với số đã công bố ({qualifier}).",
                           "The records agree with the published value ({qualifier})."),
    "explain_mismatch": ("Hồ sơ cho {computed}, công bố {published} (chênh {difference}).",
                         "The records give {computed}, {published} was published (difference "
                         "{difference})."),
    "explain_not_computable": ("Hồ sơ không trả lời được: {reason}",
                               "The records cannot answer it: {reason}"),
    "older_vintage": ("(số cũ, đã có số mới hơn)", "(older vintage, superseded)"),
    "s_quality": ("Chất lượng dữ liệu", "Data quality"),
    "c_files": ("Tệp đã nhận theo đơn vị gửi và kỳ nhận",
                "Files received per submitting unit and cycle"),
    "submitting_unit": ("Đơn vị gửi", "Submitting unit"),
    "cycle": ("Kỳ nhận", "Cycle"),
    "files": ("Số tệp", "Files"),
    "rows": ("Số dòng", "Rows"),
    "kind": ("Loại tệp", "Kind"),
    "reference_files": ("(tệp danh mục)", "(reference files)"),
    "c_quarantine": ("Dòng bị cách ly theo đơn vị gửi và lý do",
                     "Rows quarantined by submitting unit and reason"),
    "rule": ("Lý do (mã quy tắc)", "Reason (rule code)"),
    "columns": ("Cột", "Columns"),
    "no_quarantine": ("Không có dòng nào bị cách ly.", "No row is in quarantine."),
    "quarantine_note": ("Chỉ ghi mã quy tắc và tên cột, không ghi giá trị bị từ chối.",
                        "Rule codes and column names only, never the rejected values."),
    "stale": ("Loại tệp chưa nhận đúng kỳ (toàn kho dữ liệu)",
              "Stale submissions (whole warehouse)"),
    "no_stale": ("Mọi loại tệp đều đã nhận trong kỳ.", "Every kind arrived within its cycle."),
    "newest_file": ("Tệp mới nhất", "Newest file"),
    "age_days": ("Số ngày", "Days ago"),
    "cycle_days": ("Chu kỳ (ngày)", "Cycle (days)"),
    "never": ("chưa nhận", "never received"),
    "unknown_unit": ("(cả tệp bị từ chối)", "(whole file rejected)"),
    # the data-quality page
    "q_title": ("Kết quả kiểm tra chất lượng dữ liệu", "Data quality check results"),
    "q_checks": ("Các phép kiểm tra chặn công bố", "Checks that block publication"),
    "q_chart": ("Kết quả kiểm tra theo tầng dữ liệu", "Check results by layer"),
    "q_summary": ("{passed} trên {total} phép kiểm tra đạt (kết quả gần nhất của mỗi phép).",
                  "{passed} of {total} checks passed (the latest result of each)."),
    "q_every": ("Từng phép kiểm tra", "Every check"),
    "q_none": ("Chưa có kết quả kiểm tra nào.", "No check result yet."),
    "q_unit": ("phép kiểm tra", "checks"),
    "q_layer": ("Tầng", "Layer"),
    "q_kind": ("Loại", "Kind"),
    "q_dbt": ("Kiểm thử dbt", "dbt test"),
    "q_ge": ("Bộ kỳ vọng Great Expectations", "Great Expectations suite"),
    "q_passed": ("Đạt", "Passed"),
    "q_failed": ("Không đạt", "Failed"),
    "q_check": ("Phép kiểm tra", "Check"),
    "q_asset": ("Bảng", "Asset"),
    "q_blocking": ("Chặn công bố", "Blocking"),
    "q_yes": ("có", "yes"),
    "q_no": ("không", "no"),
    "q_details": ("Chi tiết", "Details"),
    "q_evaluated": ("Thời điểm kiểm tra", "Evaluated"),
    "quality_page": ("Kết quả kiểm tra chất lượng", "Data quality checks"),
}


def text(key: str, lang: str, **values) -> str:
    vi, en = TEXT[key]
    template = vi if lang == "vi" else en
    return template.format(**values) if values else template


def number(value, lang: str, decimals: int = 0) -> str:
    """A count or rate as it is written in `lang`: 1.234,5 in Vietnamese, 1,234.5 in English."""
    if value is None or pd.isna(value):
        return "–"
    return _pattern(decimals).apply(value, _locale(lang))


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALES[lang])


@functools.cache
def _pattern(decimals: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))
