// The reference run for `npm run bench:ns3`: the same bulk transfer as bench/bulk.ts, in ns-3.
// BulkSend -> PacketSink over one point-to-point link with the engine's rate, delay, drop-tail
// queue, MSS 1448 with timestamps, 8 MB buffers, 40 ms delayed ACK and a RateErrorModel on
// each side. Prints one JSON line with the fields bench/bulk.ts prints.
//
// Built only when ns-3 is installed (Debian: libns3-dev); never part of the product.
#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <chrono>
#include <cstdio>
#include <string>

using namespace ns3;

namespace
{
uint64_t g_bytes = 0;
uint64_t g_received = 0;
uint64_t g_segments = 0;
uint64_t g_retransmissions = 0;
uint64_t g_timeouts = 0;
uint32_t g_highest = 0;
bool g_started = false;
double g_doneAt = 0;

void
OnSinkRx(Ptr<const Packet> packet, const Address&)
{
    g_received += packet->GetSize();
    if (g_received >= g_bytes && g_doneAt == 0)
    {
        g_doneAt = Simulator::Now().GetSeconds();
        Simulator::Stop();
    }
}

void
OnPhyTx(Ptr<const Packet>)
{
    g_segments += 1;
}

// Data segments from the sender: one below the highest sequence sent is a retransmission.
void
OnSocketTx(Ptr<const Packet> packet, const TcpHeader& header, Ptr<const TcpSocketBase>)
{
    if (packet->GetSize() == 0)
    {
        return;
    }
    uint32_t seq = header.GetSequenceNumber().GetValue();
    uint32_t end = seq + packet->GetSize();
    if (g_started && static_cast<int32_t>(seq - g_highest) < 0)
    {
        g_retransmissions += 1;
    }
    else if (!g_started || static_cast<int32_t>(end - g_highest) > 0)
    {
        g_highest = end;
        g_started = true;
    }
}

// Entering CA_LOSS is what a retransmission timeout does in ns-3.
void
OnCongState(TcpSocketState::TcpCongState_t, TcpSocketState::TcpCongState_t to)
{
    if (to == TcpSocketState::CA_LOSS)
    {
        g_timeouts += 1;
    }
}

void
HookSenderSocket(Ptr<BulkSendApplication> app)
{
    app->GetSocket()->TraceConnectWithoutContext("Tx", MakeCallback(&OnSocketTx));
    app->GetSocket()->TraceConnectWithoutContext("CongState", MakeCallback(&OnCongState));
}
} // namespace

int
main(int argc, char* argv[])
{
    uint64_t bytes = 100 << 20;
    double rateMbps = 100;
    double delayMs = 10;
    double loss = 0;
    std::string cc = "newreno";
    std::string recovery = "prr";
    uint32_t queuePackets = 100;
    uint32_t seed = 1;
    double delayedAckMs = 40;

    CommandLine cmd;
    cmd.AddValue("bytes", "bytes to transfer", bytes);
    cmd.AddValue("rate-mbps", "link rate (Mb/s)", rateMbps);
    cmd.AddValue("delay-ms", "one-way delay (ms)", delayMs);
    cmd.AddValue("loss", "packet error rate on each side", loss);
    cmd.AddValue("cc", "newreno or cubic", cc);
    cmd.AddValue("recovery", "prr (ns-3 default) or classic", recovery);
    cmd.AddValue("queue", "drop-tail queue (packets)", queuePackets);
    cmd.AddValue("seed", "RNG run number", seed);
    cmd.AddValue("delayed-ack-ms", "delayed ACK timeout (ms)", delayedAckMs);
    cmd.Parse(argc, argv);
    g_bytes = bytes;
    RngSeedManager::SetRun(seed);

    Config::SetDefault("ns3::TcpL4Protocol::SocketType",
                       TypeIdValue(TypeId::LookupByName(cc == "cubic" ? "ns3::TcpCubic"
                                                                      : "ns3::TcpNewReno")));
    Config::SetDefault("ns3::TcpL4Protocol::RecoveryType",
                       TypeIdValue(TypeId::LookupByName(
                           recovery == "classic" ? "ns3::TcpClassicRecovery" : "ns3::TcpPrrRecovery")));
    // The engine's CUBIC has no HyStart (RFC 9438 leaves slow start to RFC 5681).
    Config::SetDefault("ns3::TcpCubic::HyStart", BooleanValue(false));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
    // RFC 5681 initial window for a 1448-byte SMSS: min(4*SMSS, max(2*SMSS, 4380)) = 3 segments.
    Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(3));
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(8 << 20));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(8 << 20));
    Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(delayedAckMs)));
    Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(2));
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::WindowScaling", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(Seconds(1)));

    NodeContainer nodes;
    nodes.Create(2);
    PointToPointHelper link;
    link.SetDeviceAttribute("DataRate", DataRateValue(DataRate(rateMbps * 1e6)));
    link.SetChannelAttribute("Delay", TimeValue(MicroSeconds(delayMs * 1000)));
    link.SetQueue("ns3::DropTailQueue",
                  "MaxSize",
                  QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, queuePackets)));
    NetDeviceContainer devices = link.Install(nodes);

    InternetStackHelper stack;
    stack.Install(nodes);
    Ipv4AddressHelper addresses;
    addresses.SetBase("10.0.0.0", "255.255.255.0");
    Ipv4InterfaceContainer interfaces = addresses.Assign(devices);
    // Only the device's drop-tail queue, like the engine's link (no pfifo_fast in front).
    TrafficControlHelper().Uninstall(devices);

    if (loss > 0)
    {
        for (uint32_t i = 0; i < 2; i++)
        {
            Ptr<RateErrorModel> errors = CreateObject<RateErrorModel>();
            errors->SetAttribute("ErrorRate", DoubleValue(loss));
            errors->SetAttribute("ErrorUnit", StringValue("ERROR_UNIT_PACKET"));
            devices.Get(i)->SetAttribute("ReceiveErrorModel", PointerValue(errors));
        }
    }
    for (uint32_t i = 0; i < 2; i++)
    {
        devices.Get(i)->TraceConnectWithoutContext("PhyTxBegin", MakeCallback(&OnPhyTx));
    }

    uint16_t port = 5001;
    PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                                InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer sinkApp = sinkHelper.Install(nodes.Get(1));
    sinkApp.Start(Seconds(0));
    sinkApp.Get(0)->TraceConnectWithoutContext("Rx", MakeCallback(&OnSinkRx));

    BulkSendHelper sendHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(interfaces.GetAddress(1), port));
    sendHelper.SetAttribute("MaxBytes", UintegerValue(bytes));
    sendHelper.SetAttribute("SendSize", UintegerValue(1 << 16));
    ApplicationContainer sendApp = sendHelper.Install(nodes.Get(0));
    sendApp.Start(Seconds(0));
    Ptr<BulkSendApplication> sender = DynamicCast<BulkSendApplication>(sendApp.Get(0));
    Simulator::Schedule(NanoSeconds(1), &HookSenderSocket, sender);

    Simulator::Stop(Seconds(3600));
    auto started = std::chrono::steady_clock::now();
    Simulator::Run();
    double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    Simulator::Destroy();

    if (g_doneAt == 0)
    {
        std::fprintf(stderr, "ns3 bulk: no completion within an hour of simulated time\n");
        return 1;
    }
    std::printf("{\"bytes\":%llu,\"segments\":%llu,\"sim_s\":%.3f,\"wall_s\":%.3f,"
                "\"segments_per_s\":%.0f,\"cc\":\"%s\",\"retransmissions\":%llu,"
                "\"timeouts\":%llu,\"recovery\":\"%s\"}\n",
                static_cast<unsigned long long>(bytes),
                static_cast<unsigned long long>(g_segments),
                g_doneAt,
                wall,
                g_segments / wall,
                cc.c_str(),
                static_cast<unsigned long long>(g_retransmissions),
                static_cast<unsigned long long>(g_timeouts),
                recovery.c_str());
    return 0;
}
