import { CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import { Certificate, CertificateValidation, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { PlaybackDomain } from './vod-stack';
import type { AppDomain } from './web-stack';

/** The only region whose ACM certificates CloudFront can use. */
export const CLOUDFRONT_CERTIFICATE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  /** The host the web app is served on, e.g. `app.academy.example.com`. */
  readonly appHost: string;
  /**
   * The host learners play video from, e.g. `video.academy.example.com`.
   * @default - video is off: no playback certificate
   */
  readonly playbackHost?: string;
  /** The parent domain's Route 53 hosted zone, which holds the hosts' validation records. */
  readonly zone: { readonly zoneName: string; readonly hostedZoneId: string };
}

/**
 * What the platform must keep in us-east-1: the certificates of its CloudFront distributions' custom
 * domains, the web app's and the video playback's. The distributions themselves live in the web and vod
 * stacks, in the platform's region, and read the certificates' ARNs across regions.
 */
export class EdgeStack extends Stack {
  /** DNS-validated certificate for the app host. */
  public readonly appCertificate: ICertificate;
  /** The app host, its zone and certificate, as the web stack takes them. */
  public readonly appDomain: AppDomain;
  /** DNS-validated certificate for the playback host, when video is on. */
  public readonly playbackCertificate?: ICertificate;
  /** The playback host, its zone and certificate, as the vod stack takes them, when video is on. */
  public readonly playbackDomain?: PlaybackDomain;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    if (this.region !== CLOUDFRONT_CERTIFICATE_REGION) {
      throw new Error(`EdgeStack must be deployed to ${CLOUDFRONT_CERTIFICATE_REGION}, got ${this.region}`);
    }

    // Imported from its id and name rather than looked up, so synth needs no AWS credentials.
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', props.zone);
    this.appCertificate = this.certificate('AppCertificate', props.appHost, zone);
    this.appDomain = { hostName: props.appHost, zone: props.zone, certificate: this.appCertificate };
    if (props.playbackHost) {
      this.playbackCertificate = this.certificate('PlaybackCertificate', props.playbackHost, zone);
      this.playbackDomain = {
        hostName: props.playbackHost,
        zone: props.zone,
        certificate: this.playbackCertificate,
      };
    }
  }

  private certificate(id: string, host: string, zone: IHostedZone): ICertificate {
    const certificate = new Certificate(this, id, {
      domainName: host,
      validation: CertificateValidation.fromDns(zone),
    });
    // Read by a stack in another region through Fn::GetStackOutput: the app's references are strong
    // (cdk.json), but a strong one across regions adds a Lambda-backed export writer and reader per region.
    CrossStackReferences.of(certificate).produce(ReferenceStrength.WEAK);
    return certificate;
  }
}
