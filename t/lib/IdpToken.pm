package IdpToken;

# Tokens shaped as identity providers issue them, signed here by OpenSSL
# (the openssl command, an implementation independent of the module and
# of ticketctl) with keys the test generated: RS256/PS256 (PKCS#1 v1.5 and
# PSS), ES256 (DER turned into R||S as JWS wants it) and Ed25519.  The
# header and claims are raw JSON text, so a test writes exactly the
# members a provider writes.  Perl core modules only.

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use JSON::PP;

use TicketTest qw();

our @EXPORT_OK = qw(idp_token jwks_without_alg jwks_merge read_json);

my $tmp = tempdir(CLEANUP => 1);
my $n = 0;

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or die "$f: $!\n";
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($f, $data) = @_;
    open my $fh, '>:raw', $f or die "$f: $!\n";
    print $fh $data;
    close $fh;
}

sub run {
    my (@cmd) = @_;
    my $out = "$tmp/out";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>', "$tmp/err";
        exec @cmd or exit 127;
    }
    waitpid $pid, 0;
    die "@cmd: " . slurp("$tmp/err") . "\n" if $?;
}

# DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) to R||S of $len bytes each
sub der_to_raw {
    my ($der, $len) = @_;
    my @b = unpack 'C*', $der;
    my $i = 0;
    die "not a DER sequence\n" unless $b[$i++] == 0x30;
    my $l = $b[$i++];
    $i += ($l & 0x7f) if $l & 0x80;
    my $raw = '';
    for (1 .. 2) {
        die "not a DER integer\n" unless $b[$i++] == 0x02;
        my $il = $b[$i++];
        my $int = pack 'C*', @b[$i .. $i + $il - 1];
        $i += $il;
        $int =~ s/^\x00+//;
        $raw .= ("\x00" x ($len - length $int)) . $int;
    }
    return $raw;
}

# idp_token($header_json, $claims_json, $private_key_pem_file, $alg)
sub idp_token {
    my ($header, $claims, $key, $alg) = @_;
    my $input = TicketTest::b64url($header) . '.' . TicketTest::b64url($claims);
    my $f = "$tmp/in" . $n++;
    spew($f, $input);
    my $sig;
    if ($alg =~ /^RS(\d+)$/) {
        run('openssl', 'dgst', "-sha$1", '-sign', $key, '-out', "$f.sig", $f);
        $sig = slurp("$f.sig");
    } elsif ($alg =~ /^PS(\d+)$/) {
        run('openssl', 'dgst', "-sha$1", '-sigopt', 'rsa_padding_mode:pss',
            '-sigopt', 'rsa_pss_saltlen:digest', '-sign', $key,
            '-out', "$f.sig", $f);
        $sig = slurp("$f.sig");
    } elsif ($alg =~ /^ES(256|384|512)$/) {
        my %len = (256 => 32, 384 => 48, 512 => 66);
        my $sha = $1;
        run('openssl', 'dgst', "-sha$sha", '-sign', $key, '-out', "$f.sig",
            $f);
        $sig = der_to_raw(slurp("$f.sig"), $len{$sha});
    } elsif ($alg eq 'EdDSA' || $alg eq 'Ed25519') {
        run('openssl', 'pkeyutl', '-sign', '-rawin', '-inkey', $key,
            '-in', $f, '-out', "$f.sig");
        $sig = slurp("$f.sig");
    } else {
        die "idp_token: alg $alg\n";
    }
    return "$input." . TicketTest::b64url($sig);
}

sub read_json { return decode_json(slurp($_[0])) }

# the keys of a ticketctl keygen JWKS, "alg" removed, members added
sub jwks_without_alg {
    my ($file, %add) = @_;
    my $doc = read_json($file);
    for my $k (@{$doc->{keys}}) {
        delete $k->{alg};
        $k->{$_} = $add{$_} for keys %add;
    }
    return $doc->{keys};
}

# one JWKS document of several lists of keys, written to $out
sub jwks_merge {
    my ($out, @lists) = @_;
    spew($out, JSON::PP->new->canonical->pretty->encode(
        { keys => [ map { @$_ } @lists ] }));
    return $out;
}

1;
