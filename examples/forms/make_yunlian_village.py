#!/usr/bin/env python3
"""Writes examples/forms/yunlian-village-questionnaire.xlsx: the 筠连县 village/group interview questionnaire
(村组访谈问卷, 30 items under the four tasks of the two reforms' "后半篇文章" — 优化资源配置, 提升发展质量,
增强服务能力, 提高治理效能 — from the county's research plan in shared/seeds) as an XLSForm with survey,
choices and settings sheets, for `linkage-server form import`.

Standard library only (zipfile + XML with inline strings), deterministic output: the checked-in .xlsx is what
the tests read, so CI needs neither this script nor any spreadsheet package. Run it again after editing the rows:

    python3 examples/forms/make_yunlian_village.py
"""
import os
import zipfile
from xml.sax.saxutils import escape

SURVEY_COLUMNS = ["type", "name", "label::中文", "label::English (en)", "hint", "required", "constraint",
                  "constraint_message", "relevant", "calculation", "repeat_count"]

# type, name, label (zh), label (en), and optional columns.
SURVEY = [
    ("begin_group", "basic", "一、基本情况", "Basic facts", {}),
    ("date", "interview_date", "访谈日期", "Interview date", {"required": "yes", "constraint": ". <= today()", "constraint_message": "访谈日期不能晚于今天"}),
    ("select_one village_type", "village_type", "村（社区）类型", "Village type", {"required": "yes"}),
    ("select_one yes_no", "merged", "是否为建制调整后合并的村", "Merged village?", {"required": "yes"}),
    ("integer", "merged_count", "由几个原村合并而成", "Former villages merged", {"relevant": "${merged} = 'yes'", "required": "yes", "constraint": ". >= 2 and . <= 10", "constraint_message": "应为 2 到 10 个"}),
    ("integer", "households", "全村户数", "Households", {"required": "yes", "constraint": ". > 0 and . <= 5000", "constraint_message": "户数应在 1 到 5000 之间"}),
    ("integer", "population", "户籍人口（人）", "Registered population", {"required": "yes", "constraint": ". >= ${households}", "constraint_message": "户籍人口不应少于户数"}),
    ("integer", "groups", "村民小组数", "Villager groups", {"required": "yes", "constraint": ". >= 1 and . <= 60"}),
    ("calculate", "persons_per_household", "户均人口", "Persons per household", {"calculation": "${population} div ${households}"}),
    ("end_group", "", "", "", {}),
    ("begin_group", "resources", "二、优化资源配置", "Allocation of resources", {}),
    ("select_one enough", "office_space", "村级活动阵地能否满足需要", "Is the village office space enough?", {"required": "yes"}),
    ("integer", "idle_assets", "合并后闲置的村级公共资产（处）", "Idle public assets after the merger", {"constraint": ". >= 0"}),
    ("select_multiple asset_use", "idle_asset_use", "闲置资产的处置方式", "How idle assets are used", {"relevant": "${idle_assets} > 0", "required": "yes"}),
    ("decimal", "service_distance_km", "村民到便民服务点的最远距离（公里）", "Farthest distance to the service point (km)", {"constraint": ". >= 0 and . <= 50", "constraint_message": "应在 0 到 50 公里之间"}),
    ("select_one yes_no", "school_access", "适龄儿童上学是否方便", "Is school within easy reach?", {"required": "yes"}),
    ("end_group", "", "", "", {}),
    ("begin_group", "development", "三、提升发展质量", "Quality of development", {}),
    ("decimal", "collective_income", "上年村集体经济收入（万元）", "Collective income last year (10k yuan)", {"required": "yes", "constraint": ". >= 0"}),
    ("select_multiple income_source", "income_sources", "集体经济主要来源", "Main sources of collective income", {"relevant": "${collective_income} > 0"}),
    ("text", "main_industry", "主导产业", "Leading industry", {"required": "yes"}),
    ("integer", "cooperatives", "农民专业合作社数量", "Farmers' cooperatives", {"constraint": ". >= 0"}),
    ("decimal", "land_transfer_mu", "土地流转面积（亩）", "Land transferred (mu)", {"constraint": ". >= 0"}),
    ("integer", "migrant_workers", "外出务工人数", "Migrant workers", {"constraint": ". >= 0 and . <= ${population}", "constraint_message": "不能超过户籍人口"}),
    ("end_group", "", "", "", {}),
    ("begin_group", "services", "四、增强服务能力", "Service capacity", {}),
    ("integer", "committee_members", "村“两委”成员人数", "Village committee members", {"required": "yes", "constraint": ". >= 3 and . <= 15", "constraint_message": "应为 3 到 15 人"}),
    ("integer", "committee_avg_age", "村“两委”成员平均年龄", "Average age of committee members", {"constraint": ". >= 18 and . <= 75"}),
    ("select_multiple service_items", "service_items", "可在村便民服务站办理的事项", "Services handled at the village service station", {}),
    ("select_one satisfaction", "service_satisfaction", "群众对便民服务的满意度", "Residents' satisfaction with services", {"required": "yes"}),
    ("text", "dissatisfaction_reason", "不满意的主要原因", "Main reason for dissatisfaction", {"relevant": "${service_satisfaction} = 'unsatisfied'", "required": "yes"}),
    ("end_group", "", "", "", {}),
    ("begin_group", "governance", "五、提高治理效能", "Governance", {}),
    ("integer", "grids", "网格数", "Grids", {"required": "yes", "constraint": ". >= 1"}),
    ("integer", "liaison_heads", "联户长人数", "Liaison heads", {"constraint": ". >= 0"}),
    ("calculate", "households_per_liaison", "联户长平均联系户数", "Households per liaison head", {"calculation": "if(${liaison_heads} > 0, ${households} div ${liaison_heads}, '')"}),
    ("integer", "disputes_settled", "近一年调处矛盾纠纷（件）", "Disputes settled in the last year", {"constraint": ". >= 0"}),
    ("integer", "petitions", "近一年越级上访（件）", "Petitions bypassing levels in the last year", {"constraint": ". >= 0"}),
    ("begin_repeat", "problems", "突出问题清单", "Main problems", {"repeat_count": "10"}),
    ("select_one task", "problem_task", "所属任务", "Task", {"required": "yes"}),
    ("text", "problem", "问题描述", "Problem", {"required": "yes"}),
    ("select_one priority", "problem_priority", "紧迫程度", "Urgency", {}),
    ("end_repeat", "", "", "", {}),
    ("calculate", "problem_count", "问题条数", "Number of problems", {"calculation": "count(${problems})"}),
    ("text", "suggestions", "意见建议", "Suggestions", {}),
    ("end_group", "", "", "", {}),
    ("geopoint", "office_location", "村委会位置", "Village office location", {}),
    ("image", "meeting_photo", "座谈会照片", "Photo of the meeting", {}),
]

CHOICES = [
    ("yes_no", "yes", "是", "Yes"),
    ("yes_no", "no", "否", "No"),
    ("village_type", "key", "特色重点村", "Key village"),
    ("village_type", "weak", "相对薄弱村", "Relatively weak village"),
    ("village_type", "ordinary", "一般村", "Ordinary village"),
    ("enough", "enough", "能满足", "Enough"),
    ("enough", "barely", "基本满足", "Barely"),
    ("enough", "short", "不能满足", "Not enough"),
    ("asset_use", "lease", "出租", "Leased out"),
    ("asset_use", "public_service", "改作公共服务场所", "Turned into public service space"),
    ("asset_use", "industry", "用于发展产业", "Used for industry"),
    ("asset_use", "idle", "仍闲置", "Still idle"),
    ("income_source", "land", "土地流转", "Land transfer"),
    ("income_source", "assets", "资产租赁", "Asset leasing"),
    ("income_source", "enterprise", "村办企业", "Village enterprise"),
    ("income_source", "services", "服务收入", "Services"),
    ("income_source", "other", "其他", "Other"),
    ("service_items", "social_security", "社保医保", "Social insurance"),
    ("service_items", "civil_affairs", "民政救助", "Civil affairs and aid"),
    ("service_items", "household_registration", "户籍证明", "Household registration papers"),
    ("service_items", "agriculture", "农业补贴", "Farm subsidies"),
    ("satisfaction", "satisfied", "满意", "Satisfied"),
    ("satisfaction", "basically", "基本满意", "Basically satisfied"),
    ("satisfaction", "unsatisfied", "不满意", "Unsatisfied"),
    ("task", "resources", "优化资源配置", "Allocation of resources"),
    ("task", "development", "提升发展质量", "Quality of development"),
    ("task", "services", "增强服务能力", "Service capacity"),
    ("task", "governance", "提高治理效能", "Governance"),
    ("priority", "urgent", "急需解决", "Urgent"),
    ("priority", "normal", "逐步解决", "In time"),
]

SETTINGS = [("form_id", "yunlian_village"), ("version", "1"),
            ("form_title::中文", "筠连县两项改革“后半篇”文章村组访谈问卷"),
            ("form_title::English (en)", "Yunlian County village interview on the two reforms")]


def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def sheet_xml(rows):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = "".join(f'<c r="{col(c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                        for c, v in enumerate(row) if v != "")
        out.append(f'<row r="{r}">{cells}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def main():
    survey = [SURVEY_COLUMNS]
    for kind, name, zh, en, extra in SURVEY:
        row = {"type": kind, "name": name, "label::中文": zh, "label::English (en)": en, **extra}
        survey.append([row.get(c, "") for c in SURVEY_COLUMNS])
    choices = [["list_name", "name", "label::中文", "label::English (en)"]] + [list(c) for c in CHOICES]
    settings = [[k for k, _ in SETTINGS], [v for _, v in SETTINGS]]
    sheets = [("survey", survey), ("choices", choices), ("settings", settings)]
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  for i in range(1, len(sheets) + 1)) + "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, (n, _) in enumerate(sheets, start=1))
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                  for i in range(1, len(sheets) + 1)) + "</Relationships>",
    }
    for i, (_, rows) in enumerate(sheets, start=1):
        files[f"xl/worksheets/sheet{i}.xml"] = sheet_xml(rows)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yunlian-village-questionnaire.xlsx")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 2, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    answerable = [r for r in SURVEY if r[0].split()[0] not in ("begin_group", "end_group", "begin_repeat", "end_repeat", "calculate", "note")]
    print(f"wrote {out}: {len(answerable)} questions")


if __name__ == "__main__":
    main()
