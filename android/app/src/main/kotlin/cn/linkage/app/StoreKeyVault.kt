package cn.linkage.app

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.AtomicFile
import java.io.File
import java.io.IOException
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The phone store's 256-bit SQLCipher key (docs/security.md C26, ADR 0005): generated once from [SecureRandom]
 * on first run, kept only wrapped (AES-256-GCM) by a key that lives in the Android Keystore and can never
 * leave it (non-exportable; hardware-backed where the phone has a TEE/StrongBox). The wrapped key is a file in
 * `noBackupFilesDir`, so it is never in a backup or device transfer either (besides `allowBackup=false`).
 * The wrapping key needs no user authentication: WorkManager syncs while the screen is locked.
 *
 * Blocking I/O and Keystore calls: call off the main thread (as [Core.get] does).
 */
internal object StoreKeyVault {
    private const val KEYSTORE = "AndroidKeyStore"
    private const val WRAP_ALIAS = "linkage.store-key.wrap.v1"
    private const val FILE_NAME = "store-key.v1.bin"
    private const val VERSION: Byte = 1
    private const val IV_BYTES = 12
    private const val TAG_BITS = 128

    /** The store key: unwrapped from the file, or created, wrapped and saved on first run. The caller zeroes it. */
    fun storeKey(context: Context): ByteArray {
        val file = AtomicFile(File(context.applicationContext.noBackupFilesDir, FILE_NAME))
        if (file.baseFile.exists()) return unwrap(file.readFully())
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val wrapped = wrap(key)
        val out = file.startWrite()
        try {
            out.write(wrapped)
            file.finishWrite(out)
        } catch (e: IOException) {
            file.failWrite(out)
            key.fill(0)
            throw e
        }
        return key
    }

    /** The Keystore's wrapping key, created the first time (AES-256, GCM only, non-exportable). */
    private fun wrappingKey(): SecretKey {
        val ks = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        (ks.getKey(WRAP_ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(WRAP_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .setRandomizedEncryptionRequired(true)
                .build(),
        )
        return generator.generateKey()
    }

    /** `version ‖ IV (12, chosen by the Keystore) ‖ AES-GCM(key) with its 16-byte tag`. */
    private fun wrap(key: ByteArray): ByteArray {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        val iv = cipher.iv
        check(iv.size == IV_BYTES) { "unexpected IV size" }
        return byteArrayOf(VERSION) + iv + cipher.doFinal(key)
    }

    /**
     * The key in `blob`. A blob that does not unwrap (Keystore key lost, file damaged) throws: the store stays as
     * it is and the file is never replaced, so a passing Keystore failure cannot cost the data.
     */
    private fun unwrap(blob: ByteArray): ByteArray {
        require(blob.size > 1 + IV_BYTES && blob[0] == VERSION) { "store key file damaged" }
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(TAG_BITS, blob, 1, IV_BYTES))
        return cipher.doFinal(blob, 1 + IV_BYTES, blob.size - 1 - IV_BYTES)
    }
}
