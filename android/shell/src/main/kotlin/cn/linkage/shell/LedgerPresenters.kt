package cn.linkage.shell

import cn.linkage.core.BackgroundSyncGuide
import cn.linkage.core.ChangeTopic
import cn.linkage.core.GpsFix
import cn.linkage.core.HouseholdChange
import cn.linkage.core.HouseholdQuery
import cn.linkage.core.HouseholdSummary
import cn.linkage.core.LanguageChoice
import cn.linkage.core.RiskLevel
import cn.linkage.core.SignOutCheck
import cn.linkage.core.TextScaleChoice

// ---- Household search (民生台账) -------------------------------------------------------------------------

data class HouseholdSearchState(
    val name: String = "",
    val address: String = "",
    val tag: String? = null,
    val risk: RiskLevel? = null,
    /** Tag chips from the core (tags in my scope, with counts) and risk chips with the core's labels. */
    val tagOptions: List<Option<String>> = emptyList(),
    val riskOptions: List<Option<RiskLevel>> = emptyList(),
    val items: List<HouseholdRow> = emptyList(),
    val total: Long = 0,
    val totalText: String = "",
    val nextOffset: UInt? = null,
    val loading: Boolean = false,
    val error: UiError? = null,
)

/**
 * Household search for every role with households in scope (grid worker, liaison head, township and county
 * staff): by the head's name (prefix), part of the address, a tag and a risk level, paged by the core within
 * the user's scope; phone and ID numbers arrive masked.
 */
class HouseholdSearchPresenter(ctx: ShellContext, private val pageSize: UInt = 30u) :
    Presenter<HouseholdSearchState>(HouseholdSearchState(), ctx) {
    init {
        refreshOn(ChangeTopic.HOUSEHOLDS, ChangeTopic.SESSION) { search() }
    }

    suspend fun load() {
        val choices = core { householdFilterChoices() }.getOr { e -> update { it.copy(error = e) } }
        if (choices != null) update {
            it.copy(
                tagOptions = choices.tags.map { t -> Option(t.tag, s.tagWithCount(t.tag, t.households)) },
                riskOptions = choices.risks.map { r -> Option(r.level, r.label) },
            )
        }
        search()
    }

    fun setName(v: String) = update { it.copy(name = v) }
    fun setAddress(v: String) = update { it.copy(address = v) }

    /** Picks a tag chip, or clears it when it is picked again. */
    suspend fun pickTag(tag: String) { update { it.copy(tag = if (it.tag == tag) null else tag) }; search() }
    suspend fun pickRisk(risk: RiskLevel) { update { it.copy(risk = if (it.risk == risk) null else risk) }; search() }

    /** The first page for the current filters. */
    suspend fun search() = fetch(0u, replace = true)

    /** The next page, appended. */
    suspend fun loadMore() {
        val next = state.value.nextOffset ?: return
        fetch(next, replace = false)
    }

    private suspend fun fetch(offset: UInt, replace: Boolean) {
        val f = state.value
        update { it.copy(loading = true, error = null) }
        val query = HouseholdQuery(
            text = f.name.ifBlank { null },
            address = f.address.ifBlank { null },
            tag = f.tag,
            risk = f.risk,
            offset = offset,
            limit = pageSize,
        )
        val page = core { listHouseholds(query) }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        update {
            val items = (if (replace) emptyList() else it.items) + page.items.map { h -> h.toRow() }
            it.copy(
                loading = false,
                items = items,
                total = page.total.toLong(),
                totalText = s.householdsFound(items.size, page.total.toLong()),
                nextOffset = page.nextOffset,
            )
        }
    }
}

// ---- Household correction (台账更正) -----------------------------------------------------------------------

data class HouseholdEditState(
    val household: HouseholdSummary? = null,
    val currentPhoneText: String = "",
    val phone: String = "",
    val members: UInt = 0u,
    val tags: List<String> = emptyList(),
    /** Tags to pick from: the household's own and those used in my scope (from the core). */
    val tagOptions: List<String> = emptyList(),
    val newTag: String = "",
    val fix: GpsFix? = null,
    val gps: GpsView = GpsView("", null),
    val pointText: String = "",
    val saving: Boolean = false,
    val savedText: String? = null,
    val error: UiError? = null,
)

/**
 * Corrections to a household's ledger entry: a new phone number (the current one is shown masked and never
 * written back), the member count, the tags, and "the house is here" from a fresh GPS fix. Each save is the
 * core's field-wise edit (only changed fields; merged field by field with other phones' edits); the core
 * refuses what the role may not change (a liaison head cannot replace tags it does not see) or a bad fix.
 */
class HouseholdEditPresenter(ctx: ShellContext, val householdId: String) :
    Presenter<HouseholdEditState>(HouseholdEditState(gps = null.toView(ctx.strings, ctx.format)), ctx) {

    suspend fun load() {
        val h = core { household(householdId) }.getOr { e -> update { it.copy(error = e) } } ?: return
        val used = core { householdFilterChoices() }.getOr { e -> update { it.copy(error = e) } }?.tags?.map { it.tag } ?: emptyList()
        show(h)
        update { it.copy(tagOptions = (h.tags + used).distinct()) }
    }

    private fun show(h: HouseholdSummary) = update {
        it.copy(
            household = h,
            currentPhoneText = s.currentPhone(h.phoneMasked),
            members = h.members,
            tags = h.tags,
            pointText = if (h.lat != null && h.lon != null) s.pointSet(h.lat!!, h.lon!!) else s.noPoint,
        )
    }

    fun setPhone(v: String) = update { it.copy(phone = v, savedText = null, error = null) }
    fun fewerMembers() = update { it.copy(members = if (it.members > 0u) it.members - 1u else 0u, savedText = null) }
    fun moreMembers() = update { it.copy(members = it.members + 1u, savedText = null) }
    fun toggleTag(tag: String) = update { it.copy(tags = if (tag in it.tags) it.tags - tag else it.tags + tag, savedText = null) }
    fun setNewTag(v: String) = update { it.copy(newTag = v) }
    fun addNewTag() = update {
        val t = it.newTag.trim()
        if (t.isEmpty()) it else it.copy(tags = (it.tags + t).distinct(), tagOptions = (it.tagOptions + t).distinct(), newTag = "")
    }
    fun onFix(fix: GpsFix) = update { it.copy(fix = fix, gps = fix.toView(s, fmt)) }

    /** Saves the changed fields in one core edit; nothing changed is said, not sent. */
    suspend fun save(): Boolean {
        val f = state.value
        val h = f.household ?: return false
        val changes = buildList {
            if (f.phone.isNotBlank()) add(HouseholdChange.Phone(f.phone))
            if (f.members != h.members) add(HouseholdChange.Members(f.members))
            if (f.tags.toSet() != h.tags.toSet()) add(HouseholdChange.Tags(f.tags))
        }
        if (changes.isEmpty()) { update { it.copy(savedText = s.nothingChanged) }; return false }
        update { it.copy(saving = true, error = null, savedText = null) }
        val saved = core { editHousehold(householdId, changes) }.getOr { e -> update { it.copy(saving = false, error = e) } } ?: return false
        show(saved)
        update { it.copy(saving = false, phone = "", savedText = s.correctionSaved) }
        return true
    }

    /** 房屋位置就在这里: the core takes the fix only when it is real, fresh and precise. */
    suspend fun markHere(): Boolean {
        val fix = state.value.fix ?: run { update { it.copy(error = null, savedText = s.houseIsHereHint) }; return false }
        update { it.copy(saving = true, error = null, savedText = null) }
        val saved = core { markHouseholdHere(householdId, fix) }.getOr { e -> update { it.copy(saving = false, error = e) } } ?: return false
        show(saved)
        update { it.copy(saving = false, savedText = s.pointSaved) }
        return true
    }
}

// ---- Settings (设置) ----------------------------------------------------------------------------------------

data class SettingsState(
    val textScales: List<TextScaleChoice> = emptyList(),
    val textScale: Float = 1.0f,
    val languages: List<LanguageChoice> = emptyList(),
    val serverText: String = "",
    val versionText: String = "",
    /** The sign-out confirmation while it is open (the core's count of unsent records and its warning). */
    val signOutCheck: SignOutCheck? = null,
    val signedOut: Boolean = false,
    /** The background-sync guide while it is open, and the brand whose steps are shown (the user picks theirs). */
    val guide: BackgroundSyncGuide? = null,
    val guideBrand: Int = 0,
    val error: UiError? = null,
)

/**
 * Settings: 大字模式 (the core's choices 1.0 / 1.3 / 1.6, persisted by the core; the app applies the chosen
 * scale to its typography), language, server address, version, sign-out behind a confirmation that counts
 * the unsent records, and the guide to keeping background sync alive on Huawei/Honor, Xiaomi, OPPO and vivo.
 */
class SettingsPresenter(ctx: ShellContext, private val shellVersion: String = "") :
    Presenter<SettingsState>(SettingsState(), ctx) {

    suspend fun load() {
        val page = core { settingsPage() }.getOr { e -> update { it.copy(error = e) } } ?: return
        update {
            it.copy(
                textScales = page.textScales,
                textScale = page.textScale,
                languages = page.languages,
                serverText = page.serverUrl ?: s.notEnrolled,
                versionText = listOf(page.versionLabel, shellVersion).filter { v -> v.isNotBlank() }.joinToString(" · "),
                error = null,
            )
        }
    }

    suspend fun pickTextScale(scale: Float) {
        core { setTextScale(scale) }.getOr { e -> update { it.copy(error = e) } } ?: return
        load()
    }

    suspend fun pickLanguage(tag: String) {
        core { setLanguage(tag) }.getOr { e -> update { it.copy(error = e) } } ?: return
        load()
    }

    /** 退出登录: opens the confirmation with what would stay unsent. */
    suspend fun askSignOut() {
        val check = core { signOutCheck() }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { it.copy(signOutCheck = check) }
    }

    fun cancelSignOut() = update { it.copy(signOutCheck = null) }

    suspend fun confirmSignOut(): Boolean {
        core { signOut() }.getOr { e -> update { it.copy(error = e) } } ?: return false
        update { it.copy(signOutCheck = null, signedOut = true) }
        return true
    }

    fun openGuide() = update { it.copy(guide = app.backgroundSyncGuide(), guideBrand = 0) }
    fun pickGuideBrand(index: Int) = update { it.copy(guideBrand = index.coerceIn(0, (it.guide?.brands?.size ?: 1) - 1)) }
    fun closeGuide() = update { it.copy(guide = null) }
}
