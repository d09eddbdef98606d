import CoreLocation
import LinkageKit
import SwiftUI
import UIKit

/// Camera capture with UIImagePickerController. The camera delivers HEIC on recent iPhones and the core only
/// takes JPEG/PNG, so the image is re-encoded to JPEG with the platform codec (UIImage.jpegData) into a
/// temporary file, whose path is handed on; the caller gives it to `addEvidence` and deletes it after.
struct CameraPicker: UIViewControllerRepresentable {
    let onPhoto: (URL) -> Void
    @Environment(\.dismiss) private var dismiss

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = UIImagePickerController.isSourceTypeAvailable(.camera) ? .camera : .photoLibrary
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(self) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let parent: CameraPicker

        init(_ parent: CameraPicker) { self.parent = parent }

        func imagePickerController(_ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            defer { parent.dismiss() }
            guard let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.9) else { return }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("IMG_\(UUID().uuidString).jpg")
            do {
                try jpeg.write(to: url, options: .atomic)
                parent.onPhoto(url)
            } catch {
                // Nothing to hand over; the form stays as it was.
            }
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { parent.dismiss() }
    }
}

/// Live GPS fixes from CoreLocation while a screen is shown (WGS-84, as the core expects). Only fresh fixes:
/// a location timed before `start()` (CoreLocation's cached last-known one) is dropped, since the core grades
/// it stale anyway. Denied or approximate-only permission and location services switched off are published
/// as `problem` for the forms to say.
@MainActor
final class LocationFeed: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published private(set) var fix: GpsFix?
    @Published private(set) var problem: LocationProblem?
    private let manager = CLLocationManager()
    private var startedAtMs: Int64 = 0

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
    }

    func start() {
        startedAtMs = Int64(Date().timeIntervalSince1970 * 1000)
        fix = nil
        manager.requestWhenInUseAuthorization()
        manager.startUpdatingLocation()
        updateProblem(manager)
    }

    func stop() { manager.stopUpdatingLocation() }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let l = locations.last else { return }
        var mocked = false
        if #available(iOS 15.0, *) { mocked = l.sourceInformation?.isSimulatedBySoftware ?? false }
        let fix = GpsFix(lat: l.coordinate.latitude, lon: l.coordinate.longitude,
                         accuracyM: l.horizontalAccuracy >= 0 ? l.horizontalAccuracy : 9_999,
                         fixTimeMs: Int64(l.timestamp.timeIntervalSince1970 * 1000), mocked: mocked)
        Task { @MainActor in
            guard fix.fixTimeMs >= self.startedAtMs else { return } // a cached fix from before this screen
            self.fix = fix
        }
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        manager.startUpdatingLocation()
        Task { @MainActor in self.updateProblem(manager) }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        Task { @MainActor in self.updateProblem(manager) }
    }

    private func updateProblem(_ manager: CLLocationManager) {
        switch manager.authorizationStatus {
        case .denied, .restricted:
            problem = CLLocationManager.locationServicesEnabled() ? .denied : .gpsOff
        default:
            if manager.accuracyAuthorization == .reducedAccuracy {
                problem = .approximateOnly
            } else {
                problem = nil
            }
        }
    }
}
