package cn.linkage.shell

import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import kotlin.math.roundToLong

/**
 * Display formatting only (numbers, dates, "5 分钟前"). No rule lives here: deadlines, lights, overdue days
 * and on-site verdicts all come computed from the core.
 */
class Format(private val s: Strings, private val zone: ZoneId = ZoneId.systemDefault()) {
    private val dateTime = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(zone)
    private val fullDateTime = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(zone)

    fun distance(m: Double): String =
        if (m < 1000) s.metres(m.roundToLong()) else s.kilometres(String.format(java.util.Locale.ROOT, "%.1f", m / 1000))

    fun accuracy(m: Double): String = s.accuracy(m.roundToLong())

    fun dateTime(ms: Long): String = dateTime.format(Instant.ofEpochMilli(ms))

    fun fullDateTime(ms: Long): String = fullDateTime.format(Instant.ofEpochMilli(ms))

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
