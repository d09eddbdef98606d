package cn.linkage.shell

import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import java.util.TimeZone
import kotlin.math.roundToLong

/**
 * Display formatting only (numbers, dates, "5 分钟前"). No rule lives here: deadlines, lights, overdue days
 * and on-site verdicts all come computed from the core.
 * Dates with java.text/java.util, not java.time: java.time is Android API 26, the app's minSdk is 24 (no
 * core library desugaring needed); scripts/check-android-api.sh checks the shell against the API-24 signature.
 */
class Format(private val s: Strings, private val zone: TimeZone = TimeZone.getDefault()) {
    /** A new formatter per call: SimpleDateFormat is not thread-safe, and presenters format on IO threads. */
    private fun pattern(p: String) = SimpleDateFormat(p, Locale.ROOT).apply { timeZone = zone }

    fun distance(m: Double): String =
        if (m < 1000) s.metres(m.roundToLong()) else s.kilometres(String.format(java.util.Locale.ROOT, "%.1f", m / 1000))

    fun accuracy(m: Double): String = s.accuracy(m.roundToLong())

    fun dateTime(ms: Long): String = pattern("MM-dd HH:mm").format(Date(ms))

    fun fullDateTime(ms: Long): String = pattern("yyyy-MM-dd HH:mm").format(Date(ms))

    /** How long ago a phone-local event (a sync) happened. */
    fun ago(ms: Long, now: Long): String {
        val minutes = (now - ms).coerceAtLeast(0) / 60_000
        return when {
            minutes < 1 -> s.justNow
            minutes < 60 -> s.minutesAgo(minutes)
            minutes < 24 * 60 -> s.hoursAgo(minutes / 60)
            else -> s.daysAgo(minutes / (24 * 60))
        }
    }

    /** A deadline as the core gives it, shown as an absolute time (the light says how close it is). */
    fun due(ms: Long?): String? = ms?.let { s.dueBy(dateTime(it)) }
}
