package cn.linkage.shell

import cn.linkage.core.FieldApp
import kotlinx.coroutines.runBlocking
import java.io.File
import java.net.HttpURLConnection
import java.net.InetAddress
import java.net.ServerSocket
import java.net.URI
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// The days of issue #11 on real servers: `linkage-server serve` on a loopback port over a copy of the fixture
// county (the county of the Rust phone ↔ server tests: cs at the county c, ts at 石堡镇 t1, ts2 at t2, gw at
// 石堡村 b1, gw2 at b2, lh at 一组 g1 (h1, h2), lh2 at 二组 g2 (h3, h5), and the branch secretary bs at b1), and
// phones — each its own FieldApp, its own encrypted database and data directory — that sign in over HTTP and
// sync through it. scripts/test-shells.sh builds the county's data directory once (CSV import, `user add` with an
// initial password) and names it and the server binary in -Dlinkage.countyData and -Dlinkage.serverBin.

/** The initial password `user add` gave every fixture user (changed at each phone's first sign-in). */
private const val INITIAL_PASSWORD = "初始口令-2026a"

/** The password each user chooses at the first sign-in (the policy: 10+ characters, two kinds, no user id). */
private const val NEW_PASSWORD = "石堡联动-2026!"

/**
 * A `linkage-server serve` of its own over a fresh copy of the fixture county, on a free loopback port. [setup]
 * runs administrative commands on the data directory before it serves (e.g. `county set intake.liaison_reports
 * branch`), each given as the arguments after the binary (`--data-dir` is added). Stopped (and its directory
 * removed) by [close].
 */
internal class CountyServer(setup: List<List<String>> = emptyList()) : AutoCloseable {
    private val bin = System.getProperty("linkage.serverBin") ?: error("run by scripts/test-shells.sh (-Dlinkage.serverBin)")
    private val template = File(System.getProperty("linkage.countyData") ?: error("run by scripts/test-shells.sh (-Dlinkage.countyData)"))
    val dir: File = Files.createTempDirectory("linkage-county-server").toFile()
    private val data = File(dir, "data")
    private val log = File(dir, "server.log")
    private val process: Process
    val url: String
    private val phones = mutableListOf<DayPhone>()
    private val changedPasswords = mutableSetOf<String>()
    private val stop = Thread { stopServer() }

    init {
        template.copyRecursively(data)
        for (args in setup) admin(args)
        val port = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        url = "http://127.0.0.1:$port"
        process = ProcessBuilder(bin, "serve", "--data-dir", data.path, "--listen", "127.0.0.1:$port")
            .redirectErrorStream(true).redirectOutput(log).start()
        Runtime.getRuntime().addShutdownHook(stop) // never left running if the JVM is stopped mid-test
        val until = System.currentTimeMillis() + 60_000
        while (!answers("$url/openapi.json")) {
            if (!process.isAlive) error("linkage-server serve exited: ${log.readText()}")
            if (System.currentTimeMillis() > until) error("linkage-server serve did not answer: ${log.readText()}")
            Thread.sleep(50)
        }
    }

    /** Runs `linkage-server ARGS --data-dir DATA` (an administrative command) and fails on a non-zero exit. */
    fun admin(args: List<String>): String {
        val p = ProcessBuilder(listOf(bin) + args + listOf("--data-dir", data.path)).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor() == 0) { "linkage-server ${args.joinToString(" ")}: $out" }
        return out
    }

    private fun answers(address: String): Boolean = try {
        val c = URI(address).toURL().openConnection() as HttpURLConnection
        c.connectTimeout = 1_000
        c.readTimeout = 1_000
        try { c.responseCode == 200 } finally { c.disconnect() }
    } catch (e: java.io.IOException) {
        false
    }

    /**
     * A new phone signed in as [user] through the sign-in screen's presenter: the first sign-in of a user on this
     * server answers 首次登录需要修改初始密码 and the form's new password is sent; later phones use that one.
     */
    fun phone(user: String): DayPhone {
        val phone = DayPhone(user)
        phones += phone
        val signIn = SessionPresenter(ShellContext(phone.app, liveRefresh = false))
        signIn.setServerUrl(url)
        signIn.setUserId(user)
        if (user in changedPasswords) {
            signIn.setPassword(NEW_PASSWORD)
            runBlocking { signIn.connect() }
        } else {
            signIn.setPassword(INITIAL_PASSWORD)
            runBlocking { signIn.connect() }
            assertTrue(signIn.state.value.needsNewPassword, "$user: ${signIn.state.value.error}")
            signIn.setNewPassword(NEW_PASSWORD)
            runBlocking { signIn.connect() }
            changedPasswords += user
        }
        assertEquals(user, signIn.state.value.session?.userId, "$user signs in: ${signIn.state.value.error}")
        return phone
    }

    private fun stopServer() {
        if (process.isAlive) {
            process.destroy()
            process.waitFor()
        }
    }

    override fun close() {
        phones.forEach { it.close() }
        stopServer()
        runCatching { Runtime.getRuntime().removeShutdownHook(stop) }
        dir.deleteRecursively()
    }
}

/**
 * One person's phone: its own encrypted store in its own directory, a shell context (screens reload when the
 * test says so, as in the other host tests), and the sync bar whose 立即同步 the test presses.
 */
internal class DayPhone(val user: String) : AutoCloseable {
    val dir: File = Files.createTempDirectory("linkage-phone-$user").toFile()
    val app: FieldApp = FieldApp.open(File(dir, "linkage.db").path, ByteArray(32).also { java.security.SecureRandom().nextBytes(it) })
    val ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)
    private val bar = SyncBarPresenter(ctx)

    /** 立即同步 on the sync bar: pushes this phone's records and pulls its area's; the server refuses none. */
    fun sync() {
        runBlocking { bar.sync() }
        val st = bar.state.value
        assertNull(st.error, "$user: sync failed")
        assertEquals(0L, st.pending, "$user: everything sent")
        assertEquals(0L, st.quarantined, "$user: the server accepted every record: ${st.quarantinedItems}")
        assertNotNull(app.outboxStatus().lastSyncAtMs)
    }

    override fun close() {
        app.destroy()
        dir.deleteRecursively()
    }
}
