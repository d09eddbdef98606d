// The Android app: Compose screens per role over the shell's presenters, plus the Rust build.
//   src/screens/kotlin  the stateless screens (state + callbacks in, no Android API), also rendered on the
//                       host JVM by scripts/test-screens.sh
//   src/main/kotlin     the route layer: activity, view model, per-route presenter wiring, camera, location
// Tasks:
//   cargoNdkBuild           cargo ndk → src/main/jniLibs/<abi>/liblinkage_core.so (needs cargo-ndk and the NDK)
//   generateUniffiBindings  uniffi-bindgen (the workspace's own, same UniFFI version) → build/generated/uniffi
// preBuild depends on both. The generated Kotlin is compiled in the :shell module (its presenters call it);
// the app receives it through implementation(project(":shell")).
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

val repoRoot: File = rootDir.parentFile
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")
val jniLibsDir: Directory = layout.projectDirectory.dir("src/main/jniLibs")
val uniffiOut: Provider<Directory> = layout.buildDirectory.dir("generated/uniffi")

android {
    namespace = "cn.linkage.app"
    compileSdk = 35
    ndkVersion = "27.2.12479018"

    defaultConfig {
        applicationId = "cn.linkage.app"
        // Android 7.0. No java.time (API 26) anywhere: scripts/test-screens.sh checks the shell, the generated
        // bindings and the screens against the API-24 signature with Animal Sniffer (no desugaring needed).
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += abis }
    }

    buildTypes {
        release {
            isMinifyEnabled = false
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    kotlinOptions {
        jvmTarget = "17"
    }

    buildFeatures {
        compose = true
    }

    sourceSets["main"].jniLibs.srcDir(jniLibsDir)
    // The stateless Compose screens (plain Compose, no android.* import): compiled into the app here, and
    // for the desktop JVM by the host screen harness (scripts/test-screens.sh), unchanged.
    sourceSets["main"].kotlin.srcDir("src/screens/kotlin")
}

val ndkDirectory: Provider<Directory> = androidComponents.sdkComponents.ndkDirectory

val cargoNdkBuild by tasks.registering(Exec::class) {
    group = "rust"
    description = "Builds liblinkage_core.so for ${abis.joinToString()} with cargo-ndk (release profile)."
    workingDir = repoRoot
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "--platform", "24",
        "-o", jniLibsDir.asFile.path,
        "build", "--release", "-p", "linkage-core",
    )
    inputs.files(repoRoot.resolve("Cargo.toml"), repoRoot.resolve("Cargo.lock"))
    inputs.dir(repoRoot.resolve("core/src"))
    inputs.dir(repoRoot.resolve("core/sql"))
    inputs.dir(repoRoot.resolve("protocol/src"))
    outputs.dir(jniLibsDir)
    doFirst {
        // cargo-ndk finds the NDK through ANDROID_NDK_HOME; default it to the NDK this build resolved.
        if (System.getenv("ANDROID_NDK_HOME").isNullOrEmpty()) {
            environment("ANDROID_NDK_HOME", ndkDirectory.get().asFile.absolutePath)
        }
    }
}

val generateUniffiBindings by tasks.registering(Exec::class) {
    group = "rust"
    description = "Generates the Kotlin bindings from the built library with the workspace's uniffi-bindgen."
    dependsOn(cargoNdkBuild)
    val library = jniLibsDir.file("arm64-v8a/liblinkage_core.so").asFile
    workingDir = repoRoot
    commandLine(
        "cargo", "run", "-q", "-p", "uniffi-bindgen", "--",
        "generate", "--no-format", "--library", library.path,
        "--language", "kotlin", "--out-dir", uniffiOut.get().asFile.path,
    )
    inputs.file(library)
    outputs.dir(uniffiOut)
}

tasks.named("preBuild") {
    dependsOn(cargoNdkBuild, generateUniffiBindings)
}

dependencies {
    implementation(project(":shell"))
    // The AAR carries JNA's libjnidispatch.so for each ABI (the plain jar has only desktop natives).
    implementation("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
    implementation(libs.kotlinx.coroutines.android)

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.process)
    implementation(libs.androidx.lifecycle.viewmodel.savedstate)
    implementation(libs.androidx.work.runtime.ktx)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.compose.material3)
    implementation(libs.compose.material.icons)
    debugImplementation(libs.compose.ui.tooling)
}
