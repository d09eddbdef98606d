pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "Linkage"

// app:   the Android application (Compose screens per role, camera, location, cargo-ndk + bindgen tasks)
// shell: pure Kotlin/JVM presentation logic over the generated bindings (presenters, UI strings), with
//        host tests that run on the JVM against the real core (./gradlew :shell:hostTest)
include(":app", ":shell")
