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

/// Live GPS fixes from CoreLocation while a screen is shown (WGS-84, as the core expects).
@MainActor
final class LocationFeed: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published private(set) var fix: GpsFix?
    private let manager = CLLocationManager()

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
    }

    func start() {
        manager.requestWhenInUseAuthorization()
        manager.startUpdatingLocation()
    }

    func stop() { manager.stopUpdatingLocation() }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let l = locations.last else { return }
        var mocked = false
        if #available(iOS 15.0, *) { mocked = l.sourceInformation?.isSimulatedBySoftware ?? false }
        let fix = GpsFix(lat: l.coordinate.latitude, lon: l.coordinate.longitude,
                         accuracyM: l.horizontalAccuracy >= 0 ? l.horizontalAccuracy : 9_999,
                         fixTimeMs: Int64(l.timestamp.timeIntervalSince1970 * 1000), mocked: mocked)
        Task { @MainActor in self.fix = fix }
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        manager.startUpdatingLocation()
    }
}
