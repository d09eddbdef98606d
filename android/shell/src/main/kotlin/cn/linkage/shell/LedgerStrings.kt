package cn.linkage.shell

// The words of the household search, correction, place report and settings screens (zh-CN first, English
// second), kept beside [Strings] as extensions so each area's table stays small; ios/LinkageKit's
// LedgerStrings.swift is the same table. Labels of records, choices and messages come from the core.

private fun Strings.tt(zh: String, en: String) = if (lang == Lang.ZH_CN) zh else en

// ---- household search (民生台账)
val Strings.householdsTitle get() = tt("民生台账", "Households")
val Strings.searchByName get() = tt("户主姓名", "Head of household")
val Strings.searchByAddress get() = tt("住址包含", "Address contains")
val Strings.search get() = tt("查找", "Search")
val Strings.allTags get() = tt("全部标签", "All tags")
val Strings.allRisks get() = tt("全部风险", "All risk levels")
fun Strings.householdsFound(shown: Int, total: Long) = tt("共 $total 户，已显示 $shown 户", "$total households, $shown shown")
fun Strings.tagWithCount(tag: String, n: ULong) = tt("$tag（$n）", "$tag ($n)")
fun Strings.visitsCount(shown: Int, total: Long) = tt("走访记录（$shown / $total）", "Visits ($shown of $total)")
fun Strings.issuesCount(shown: Int, total: Long) = tt("诉求（$shown / $total）", "Issues ($shown of $total)")
val Strings.correctHousehold get() = tt("更正信息", "Correct details")

// ---- household correction (台账更正)
val Strings.correctionTitle get() = tt("更正户信息", "Correct household details")
val Strings.newPhone get() = tt("新的联系电话", "New phone number")
fun Strings.currentPhone(masked: String?) = tt("现在：${masked ?: "未登记"}", "Now: ${masked ?: "none"}")
val Strings.membersLabel get() = tt("家庭人口", "Household members")
val Strings.fewer get() = tt("减一人", "One fewer")
val Strings.moreMembers get() = tt("加一人", "One more")
val Strings.tagsLabel get() = tt("重点人群标签（点一下选中或取消）", "Tags (tap to add or remove)")
val Strings.newTag get() = tt("新标签", "New tag")
val Strings.addTag get() = tt("添加标签", "Add tag")
val Strings.houseIsHere get() = tt("房屋位置就在这里", "The house is here")
val Strings.houseIsHereHint get() = tt("站在房屋门口，定位精确后再点", "Stand at the door; tap once the fix is precise")
fun Strings.pointSet(lat: Double, lon: Double) = tt("房屋位置：北纬 %.5f，东经 %.5f".format(lat, lon), "House point: %.5f, %.5f".format(lat, lon))
val Strings.noPoint get() = tt("还没有房屋位置", "No house point yet")
val Strings.saveCorrection get() = tt("保存更正", "Save corrections")
val Strings.correctionSaved get() = tt("已保存，联网后自动同步", "Saved; it syncs when online")
val Strings.pointSaved get() = tt("房屋位置已更新，联网后自动同步", "House point updated; it syncs when online")
val Strings.nothingChanged get() = tt("没有要保存的更改", "Nothing to save")

// ---- reports about a place, duplicates (无户诉求、重复提示)
val Strings.reportPlaceTitle get() = tt("上报现场问题（无具体住户）", "Report a place (no household)")
val Strings.placeDescription get() = tt("地点和情况说明（如：后山松树林冒烟）", "Where and what (e.g. smoke in the pine wood behind the hill)")
val Strings.duplicatesTitle get() = tt("附近已有相似诉求，是其中一件吗？", "Similar reports nearby: is it one of these?")
val Strings.sameIssue get() = tt("是这件，不重复上报", "Yes, this one: don't report again")
fun Strings.metresAway(m: Double) = tt("相距 ${m.toInt()} 米", "${m.toInt()} m away")
val Strings.joinedExisting get() = tt("没有重复上报，已打开这件诉求", "Not reported twice: this is the existing issue")

// ---- settings (设置)
val Strings.settingsTitle get() = tt("设置", "Settings")
val Strings.textSize get() = tt("字体大小（大字模式）", "Text size")
val Strings.language get() = tt("语言", "Language")
val Strings.languageAfterRestart get() = tt("重新打开应用后全部生效", "Takes full effect when the app is reopened")
val Strings.serverAddress get() = tt("服务器地址", "Server address")
val Strings.notEnrolled get() = tt("尚未登录", "Not signed in")
val Strings.backgroundSync get() = tt("后台同步设置说明", "Keep sync running in the background")
val Strings.confirm get() = tt("确定", "Confirm")
