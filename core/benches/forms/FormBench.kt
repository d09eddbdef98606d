// Form benchmark through the FFI (issue #15 point 5): the generated Kotlin bindings call the core over JNA on
// the host JVM, exactly as the Android shell does. Run by scripts/bench-forms.sh; prints medians, asserts
// nothing about time (a benchmark, never a timed test).
//
//   1. a 51-question form with skip logic: one answer that shows/hides 25 questions, re-evaluated and the
//      page's model returned (`setAnswer`), and an answer nothing depends on;
//   2. a household roster (a repeat of 5 questions, sums and counts over it) grown to 100 entries: one answer
//      in the roster at 100 entries;
//   3. opening that saved draft in a new `FieldApp` (a restarted app): `formDraft` reads the answers, evaluates
//      the form and returns the page.
//
// Usage: FormBenchKt BUNDLE_JSON [ROUNDS]

import cn.linkage.core.FieldApp
import cn.linkage.core.FormAnswer
import java.io.File
import java.nio.file.Files

private fun yesno() = """[{"name":"yes","label":{"zh":"是"}},{"name":"no","label":{"zh":"否"}}]"""

/** 51 questions on three pages: a gate question and 50 more, half of them shown only when the gate is 是. */
private fun longForm(): String {
    val pages = (0 until 3).joinToString(",") { p ->
        val qs = (0 until 17).mapNotNull { j ->
            val n = p * 17 + j
            if (n == 0) return@mapNotNull """{"name":"gate","kind":"select_one","label":{"zh":"是否有劳动力外出务工"},"required":true,"choices":"yn"}"""
            val relevant = if (n % 2 == 0) ""","relevant":"${'$'}{gate} = 'yes'"""" else ""
            when (n % 3) {
                0 -> """{"name":"q$n","kind":"integer","label":{"zh":"第${n}题 人数"},"constraint":". >= 0 and . <= 150"$relevant}"""
                1 -> """{"name":"q$n","kind":"text","label":{"zh":"第${n}题 情况说明"}$relevant}"""
                else -> """{"name":"q$n","kind":"select_one","label":{"zh":"第${n}题 是否"},"choices":"yn","required":true$relevant}"""
            }
        }
        """{"name":"p$p","kind":"group","label":{"zh":"第${p + 1}部分"},"children":[${qs.joinToString(",")}]}"""
    }
    return """{"form_id":"bench-long","version":1,"title":{"zh":"乡镇调研问卷（51题）"},"questions":[$pages],
        "choice_lists":{"yn":${yesno()}},"target":{}}"""
}

/** A household roster: 5 questions per member, a count and a sum over the roster. */
private fun rosterForm(): String = """{"form_id":"bench-roster","version":1,"title":{"zh":"家庭成员花名册"},"questions":[
    {"name":"head","kind":"text","label":{"zh":"户主姓名"},"required":true},
    {"name":"members","kind":"repeat","label":{"zh":"家庭成员"},"children":[
      {"name":"m_name","kind":"text","label":{"zh":"姓名"},"required":true},
      {"name":"m_age","kind":"integer","label":{"zh":"年龄"},"required":true,"constraint":". >= 0 and . <= 120"},
      {"name":"m_sex","kind":"select_one","label":{"zh":"性别"},"choices":"sex"},
      {"name":"m_work","kind":"select_one","label":{"zh":"是否外出务工"},"choices":"yn","relevant":"${'$'}{m_age} >= 16"},
      {"name":"m_income","kind":"decimal","label":{"zh":"年收入（元）"},"relevant":"${'$'}{m_work} = 'yes'"}
    ]},
    {"name":"count","kind":"calculate","label":{"zh":"家庭人数"},"calculation":"count(${'$'}{m_name})"},
    {"name":"total","kind":"calculate","label":{"zh":"家庭年收入"},"calculation":"sum(${'$'}{m_income})"}
  ],"choice_lists":{"yn":${yesno()},"sex":[{"name":"m","label":{"zh":"男"}},{"name":"f","label":{"zh":"女"}}]},"target":{}}"""

private fun median(xs: List<Double>) = xs.sorted().let { if (it.size % 2 == 1) it[it.size / 2] else (it[it.size / 2 - 1] + it[it.size / 2]) / 2 }

private inline fun timeMs(block: () -> Unit): Double {
    val t = System.nanoTime()
    block()
    return (System.nanoTime() - t) / 1e6
}

private fun text(v: String) = FormAnswer.Text(v)

fun main(args: Array<String>) {
    val bundle = File(args.getOrNull(0) ?: error("usage: FormBenchKt BUNDLE_JSON [ROUNDS]"))
    val rounds = args.getOrNull(1)?.toInt() ?: 5
    val dir = Files.createTempDirectory("linkage-form-bench").toFile()
    val key = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }
    val db = File(dir, "bench.db").path
    var app = FieldApp.open(db, key)
    app.loadBundle(bundle.path)
    app.signIn("gw")
    File(dir, "forms.json").writeText("[${longForm()},${rosterForm()}]")
    check(app.loadForms(File(dir, "forms.json").path) == 2u)

    // 1. The 51-question form, every question answered once, then the gate toggled.
    var m = app.startFormDraft("bench-long", "h1", null, null)
    val long = m.draftId
    check(app.forms().first { it.formId == "bench-long" }.questionCount == 51u)
    app.setAnswer(long, "gate", FormAnswer.Choice("yes"))
    for (n in 1..50) {
        val path = "q$n"
        when (n % 3) {
            0 -> app.setAnswer(long, path, text("${n % 10}"))
            1 -> app.setAnswer(long, path, text("说明$n"))
            else -> app.setAnswer(long, path, FormAnswer.Choice("no"))
        }
    }
    m = app.formDraftPage(long, 0u)
    check(m.items.size == 17) { "page 1 shows ${m.items.size} rows" }
    val skip = mutableListOf<Double>()
    val plain = mutableListOf<Double>()
    repeat(rounds + 1) { round ->
        val s = mutableListOf<Double>()
        val p = mutableListOf<Double>()
        for (i in 0 until 200) {
            s += timeMs { m = app.setAnswer(long, "gate", FormAnswer.Choice(if (i % 2 == 0) "no" else "yes")) }
            p += timeMs { app.setAnswer(long, "q1", text("说明第${i}次")) }
        }
        check(m.items.size == 17)
        if (round > 0) { skip += median(s); plain += median(p) } // round 0 warms the JIT and the caches
    }

    // 2. The roster grown to 100 members.
    m = app.startFormDraft("bench-roster", "h2", null, null)
    val roster = m.draftId
    app.setAnswer(roster, "head", text("张秀英"))
    val grow = mutableListOf<Double>()
    for (k in 1..100) {
        grow += timeMs {
            app.addRepeatInstance(roster, "members")
            app.setAnswer(roster, "members[$k]/m_name", text("成员$k"))
            app.setAnswer(roster, "members[$k]/m_age", text("${10 + k % 60}"))
            app.setAnswer(roster, "members[$k]/m_sex", FormAnswer.Choice(if (k % 2 == 0) "m" else "f"))
        } / 4
    }
    val atHundred = mutableListOf<Double>()
    var rosterRows = 0
    repeat(rounds + 1) { round ->
        val r = mutableListOf<Double>()
        for (i in 0 until 40) {
            val k = 1 + (i * 37) % 100
            r += timeMs { m = app.setAnswer(roster, "members[$k]/m_age", text("${15 + i % 3}")) }
        }
        rosterRows = m.items.size
        if (round > 0) atHundred += median(r)
    }
    val total = app.formDraftPage(roster, 2u).items.first { it.path == "count" }.text
    check(total == "100") { "count = $total" }

    // 3. Opening the saved roster draft after a restart.
    val open = mutableListOf<Double>()
    val openWithStore = mutableListOf<Double>()
    repeat(rounds + 1) { round ->
        app.destroy()
        var first = 0.0
        val all = timeMs {
            app = FieldApp.open(db, key)
            first = timeMs { m = app.formDraft(roster) }
        }
        check(m.items.isNotEmpty())
        if (round > 0) { open += first; openWithStore += all }
    }
    app.destroy()
    dir.deleteRecursively()

    fun f(x: Double) = String.format(java.util.Locale.ROOT, "%.3f", x)
    println("form benchmark through the FFI (Kotlin/JNA → core), $rounds rounds, medians of each round's median; spread = min..max of rounds")
    println("  51 questions, skip logic (gate shows/hides 25): ${f(median(skip))} ms per answer   [${f(skip.min())}..${f(skip.max())}]   target ≤ 1 ms")
    println("  51 questions, an answer nothing reads:          ${f(median(plain))} ms per answer   [${f(plain.min())}..${f(plain.max())}]")
    println("  roster at 100 members ($rosterRows rows on the page): ${f(median(atHundred))} ms per answer   [${f(atHundred.min())}..${f(atHundred.max())}]   target ≤ 16 ms")
    println("  growing the roster, mean per call at 1..100: ${f(grow.take(10).average())} ms (first 10) → ${f(grow.takeLast(10).average())} ms (last 10)")
    println("  open the saved 100-member draft after a restart: ${f(median(open))} ms (formDraft) / ${f(median(openWithStore))} ms with FieldApp.open   target ≤ 100 ms")
    println("  every answer above is one SQLite commit (WAL, synchronous=NORMAL for a draft: survives a killed app) before the call returns")
}
